//! The part of a `kubeflow.org/v2beta1` MPIJob spec a TrainingJob carries.
//!
//! Typed (rather than free-form JSON) so the API server validates the pod templates
//! when the TrainingJob is created, not later when the scheduler creates the MPIJob.

use std::sync::Arc;

use k8s_openapi::api::core::v1::PodTemplateSpec;
use kube::KubeSchema;
use serde::{Deserialize, Serialize};

/// An MPIJob spec without the worker count, which the scheduler owns.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct MpiJobTemplate {
    /// Slots (processes) per worker; one GPU per worker is assumed, so normally 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub slots_per_worker: Option<i32>,
    /// MPI implementation of the launcher image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mpi_implementation: Option<MpiImplementation>,
    /// Where the MPI operator mounts the SSH keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_auth_mount_path: Option<String>,
    /// Pod clean-up and deadlines, passed to the MPIJob's runPolicy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_policy: Option<RunPolicy>,
    /// The launcher and worker pod templates.
    pub mpi_replica_specs: MpiReplicaSpecs,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, schemars::JsonSchema)]
pub enum MpiImplementation {
    #[serde(rename = "OpenMPI")]
    OpenMpi,
    Intel,
    #[serde(rename = "MPICH")]
    Mpich,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunPolicy {
    /// Which pods to delete when the job finishes. `None` (and unset) is run as
    /// `Running`: a finished job's GPUs go back to the scheduler at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clean_pod_policy: Option<CleanPodPolicy>,
    /// Delete the finished MPIJob after this many seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub ttl_seconds_after_finished: Option<i32>,
    /// Fail the job after it has been active this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub active_deadline_seconds: Option<i64>,
    /// Launcher retries before the job is Failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub backoff_limit: Option<i32>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, schemars::JsonSchema)]
pub enum CleanPodPolicy {
    None,
    Running,
    All,
}

/// Launcher and Worker, under the names the MPI operator uses.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
pub struct MpiReplicaSpecs {
    #[serde(rename = "Launcher")]
    #[x_kube(validation = Rule::new("!has(self.replicas) || self.replicas == 1").message("the launcher always has exactly 1 replica"))]
    pub launcher: ReplicaSpec,
    #[serde(rename = "Worker")]
    #[x_kube(validation = Rule::new("!has(self.replicas)").message("the scheduler sets the worker count: remove replicas and use spec.workers instead"))]
    pub worker: ReplicaSpec,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaSpec {
    /// Launcher: 1 if given. Worker: must be absent (the scheduler owns it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Pod restart policy (Always, OnFailure, Never, ExitCode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<String>,
    /// The pod template. Shared, because most copies are empty: the caches drop
    /// the templates (`cache::slim_job`) and all point at one empty template.
    pub template: Arc<PodTemplateSpec>,
}

/// The `kubeflow.org/v2beta1` MPIJob we create for a started TrainingJob. Only the
/// fields we set or read are modelled; we never write back what we read.
#[derive(
    kube::CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, schemars::JsonSchema,
)]
#[kube(
    group = "kubeflow.org",
    version = "v2beta1",
    kind = "MPIJob",
    plural = "mpijobs",
    namespaced,
    status = "MpiJobStatus"
)]
pub struct MpiJobSpec {
    #[serde(flatten)]
    pub template: MpiJobTemplate,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MpiJobStatus {
    #[serde(default)]
    pub conditions: Vec<MpiJobCondition>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MpiJobCondition {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

/// How an MPIJob ended, as the MPI operator reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    Failed,
}

impl MPIJob {
    /// Succeeded or Failed once the operator sets that condition to True.
    pub fn outcome(&self) -> Option<Outcome> {
        let conditions = &self.status.as_ref()?.conditions;
        let is_true = |t: &str| {
            conditions
                .iter()
                .any(|c| c.type_ == t && c.status == "True")
        };
        if is_true("Failed") {
            Some(Outcome::Failed)
        } else if is_true("Succeeded") {
            Some(Outcome::Succeeded)
        } else {
            None
        }
    }

    pub fn worker_replicas(&self) -> u32 {
        self.spec
            .template
            .mpi_replica_specs
            .worker
            .replicas
            .and_then(|r| u32::try_from(r).ok())
            .unwrap_or(0)
    }
}
