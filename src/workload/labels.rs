//! Label, annotation and gate names shared by the controllers and the workloads.

/// On MPIJobs and their worker pods: the TrainingJob they run.
pub const TRAINING_JOB: &str = "vodascheduler.io/training-job";
/// On MPIJobs and their worker pods: the GPU type whose scheduler owns them.
pub const GPU_TYPE: &str = "vodascheduler.io/gpu-type";
/// Scheduling gate on worker pods until the placement manager has chosen their node.
pub const PLACEMENT_GATE: &str = "vodascheduler.io/placement";

/// Set by the MPI operator on its pods.
pub const MPI_JOB_NAME: &str = "training.kubeflow.org/job-name";
pub const MPI_JOB_ROLE: &str = "training.kubeflow.org/job-role";
pub const MPI_REPLICA_INDEX: &str = "training.kubeflow.org/replica-index";
