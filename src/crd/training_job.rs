//! `TrainingJob`: one elastic training job, as the user asked for it (spec) and as
//! the scheduler knows it (status).

// The repeated `printcolumn(type_ = ...)` keys of the kube derive are separate columns,
// not duplicated attributes.
#![allow(clippy::duplicated_attributes)]

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

use crate::core::accounting::AccountingSnapshot;
use crate::workload::mpijob::MpiJobTemplate;

/// A distributed (Horovod elastic) training job, run as a Kubeflow MPIJob whose
/// worker count the scheduler of `gpuType` decides.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[kube(
    group = "vodascheduler.io",
    version = "v1alpha1",
    kind = "TrainingJob",
    namespaced,
    status = "TrainingJobStatus",
    shortname = "tj",
    category = "vodascheduler",
    doc = "An elastic distributed training job; the scheduler of spec.gpuType decides its worker count.",
    printcolumn(
        name = "Status",
        type_ = "string",
        json_path = ".status.phase",
        description = "Submitted, Waiting, Running, Completed or Failed"
    ),
    printcolumn(
        name = "Workers",
        type_ = "integer",
        json_path = ".status.workers",
        description = "Workers (GPUs) allocated now"
    ),
    printcolumn(
        name = "Scheduler",
        type_ = "string",
        json_path = ".status.scheduler",
        description = "The GPU type whose scheduler owns the job"
    ),
    printcolumn(
        name = "Waiting",
        type_ = "string",
        json_path = ".status.times.waiting",
        description = "Time spent waiting, as of the last transition"
    ),
    printcolumn(
        name = "Running",
        type_ = "string",
        json_path = ".status.times.running",
        description = "Time spent running, as of the last transition"
    ),
    printcolumn(
        name = "Total",
        type_ = "string",
        json_path = ".status.times.total",
        description = "Waiting plus running, as of the last transition"
    ),
    printcolumn(
        name = "Since",
        type_ = "date",
        json_path = ".status.lastTransitionTime",
        description = "When the job last changed phase or workers"
    ),
    printcolumn(
        name = "Queue",
        type_ = "integer",
        json_path = ".status.queue",
        priority = 1,
        description = "Tiresias queue (0 is highest)"
    ),
    printcolumn(
        name = "Min",
        type_ = "integer",
        json_path = ".spec.workers.min",
        priority = 1
    ),
    printcolumn(
        name = "Max",
        type_ = "integer",
        json_path = ".spec.workers.max",
        priority = 1
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    ),
    selectable = ".spec.gpuType"
)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.epochs) == has(oldSelf.epochs) && (!has(self.epochs) || self.epochs == oldSelf.epochs)").message("epochs cannot be changed after the job is created"))]
#[x_kube(validation = Rule::new("has(self.priority) == has(oldSelf.priority) && (!has(self.priority) || self.priority == oldSelf.priority)").message("priority (the initial Tiresias queue) cannot be changed after the job is created"))]
#[x_kube(validation = Rule::new("has(self.category) == has(oldSelf.category) && (!has(self.category) || self.category == oldSelf.category)").message("category cannot be changed after the job is created"))]
pub struct TrainingJobSpec {
    /// GPU type to run on. The SchedulerPolicy of this name schedules the job, on nodes
    /// labelled vodascheduler/accelerator=<gpuType>.
    #[schemars(
        length(min = 1, max = 63),
        regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    )]
    #[x_kube(validation = Rule::new("self == oldSelf").message("gpuType cannot be changed; delete the job and create it again"))]
    pub gpu_type: String,

    /// How many workers (one GPU each) the job can use. The only part of the spec
    /// that may change after creation: the scheduler reschedules with the new bounds.
    pub workers: WorkerBounds,

    /// Epochs to train; used to estimate the remaining time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub epochs: Option<u32>,

    /// Initial Tiresias queue: 0 is the highest priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub priority: Option<u32>,

    /// Jobs of one category share learned profiles (speedup, epoch time). Default: the
    /// job name without a -YYYYMMDD-hhmmss suffix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub category: Option<String>,

    /// The kubeflow.org/v2beta1 MPIJob to run, without the worker count.
    #[x_kube(validation = Rule::new("self == oldSelf").message("mpiJob cannot be changed after the job is created; delete the TrainingJob and create it again"))]
    pub mpi_job: MpiJobTemplate,
}

/// Worker bounds: the job runs with 0 workers (waiting) or between min and max.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, KubeSchema)]
#[x_kube(validation = Rule::new("self.max >= self.min").message("workers.max must be at least workers.min"))]
#[x_kube(validation = Rule::new("!has(self.requested) || (self.requested >= self.min && self.requested <= self.max)").message("workers.requested must be within [workers.min, workers.max]"))]
pub struct WorkerBounds {
    /// Fewest workers the job can run with.
    #[schemars(range(min = 1, max = 4096))]
    pub min: u32,
    /// Most workers the job can use.
    #[schemars(range(min = 1, max = 4096))]
    pub max: u32,
    /// Workers asked for by non-elastic algorithms (FIFO-style Tiresias). Default: min.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 4096))]
    pub requested: Option<u32>,
}

impl WorkerBounds {
    pub fn requested_or_min(&self) -> u32 {
        self.requested.unwrap_or(self.min)
    }
}

/// Lifecycle phase of a TrainingJob (the core's phase, one type for both).
pub use crate::core::scheduler::Phase as JobPhase;

/// What the scheduler knows about the job. Written on transitions only; "time so far"
/// is derived from `accounting` and `lastTransitionTime` when read.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrainingJobStatus {
    #[serde(default)]
    pub phase: JobPhase,
    /// Workers allocated now.
    #[serde(default)]
    pub workers: u32,
    /// GPU type of the scheduler that owns the job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler: Option<String>,
    /// Tiresias queue (0 is highest).
    #[serde(default)]
    pub queue: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submit_time: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_start_time: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_time: Option<Time>,
    /// When phase or workers last changed; accounting is as of this moment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<Time>,
    /// Time accounting: totals as of `accounting.asOf` (Unix seconds) and what has
    /// been accruing since; enough to rebuild the job after a scheduler restart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accounting: Option<AccountingSnapshot>,
    /// GPU seconds the job had run when last promoted (Tiresias).
    #[serde(default)]
    pub gpu_seconds_at_promotion: f64,
    /// Human-readable durations for `kubectl get`, as of lastTransitionTime.
    #[serde(default)]
    pub times: DisplayTimes,
    /// What the scheduler learned about the job's speed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<JobProfile>,
    /// Generation of the spec this status reflects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
}

/// Durations formatted like Go's time.Duration rounded to seconds (`28s`, `1m5s`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
pub struct DisplayTimes {
    #[serde(default)]
    pub waiting: String,
    #[serde(default)]
    pub running: String,
    #[serde(default)]
    pub total: String,
}

/// A learned speed profile.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobProfile {
    /// speedup[k]: speedup with k workers (index 0 is 0).
    #[serde(default)]
    pub speedup: Vec<f64>,
    /// Estimated remaining seconds with one worker.
    #[serde(default)]
    pub remaining_seconds: f64,
    /// Last epoch reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_epoch: Option<u32>,
}
