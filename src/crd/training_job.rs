//! `TrainingJob`: one elastic training job, as the user asked for it (spec) and as
//! the scheduler knows it (status).

// The repeated `printcolumn(type_ = ...)` keys of the kube derive are separate columns,
// not duplicated attributes.
#![allow(clippy::duplicated_attributes)]

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

use crate::core::accounting::AccountingSnapshot;
use crate::core::profile::Measurement;
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

/// What is known of the job's speed (DESIGN §7), kept up to date by the manager
/// (field manager `voda-scheduler-profiles`) from the job's progress reports, starting
/// from its category's CategoryProfile. The scheduler reads `speedup` and
/// `remainingSeconds`; the tables are indexed by worker count (index 0 is 0).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobProfile {
    /// Where the tables come from: `Category` (what earlier jobs of the category
    /// measured) or `Measured` (the job's own reports, the category filling gaps).
    #[serde(default)]
    pub source: ProfileSource,
    /// The category the job learns into and started from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Epoch seconds with k workers, k = 0..=workers.max; counts never measured are
    /// interpolated (linear in throughput).
    #[serde(default)]
    pub epoch_seconds: Vec<f64>,
    /// speedup[k] = epochSeconds[1] / epochSeconds[k] (index 0 is 0).
    #[serde(default)]
    pub speedup: Vec<f64>,
    /// efficiency[k] = speedup[k] / k.
    #[serde(default)]
    pub efficiency: Vec<f64>,
    /// Estimated remaining seconds with one worker: (epochs - currentEpoch) ×
    /// epochSeconds[1], as of the last report; 0 when spec.epochs is not set.
    #[serde(default)]
    pub remaining_seconds: f64,
    /// Last epoch reported (counted from 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_epoch: Option<u32>,
    /// The job's own measurements: mean epoch and step seconds per worker count.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measured: Vec<Measurement>,
    /// The category's measurements when the job was admitted (its starting point).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category_start: Vec<Measurement>,
    /// Reports accepted.
    #[serde(default)]
    pub reports: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_report_time: Option<Time>,
    /// The job has finished and its measurements are in its CategoryProfile.
    #[serde(default)]
    pub learned_into_category: bool,
}

/// Where a job's profile comes from.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, schemars::JsonSchema,
)]
pub enum ProfileSource {
    #[default]
    Category,
    Measured,
}

/// The `-YYYYMMDD-hhmmss` suffix the training service adds to names.
fn without_timestamp_suffix(name: &str) -> &str {
    let b = name.as_bytes();
    let n = b.len();
    let suffixed = n > 16
        && b[n - 16] == b'-'
        && b[n - 7] == b'-'
        && b[n - 15..n - 7].iter().all(u8::is_ascii_digit)
        && b[n - 6..].iter().all(u8::is_ascii_digit);
    if suffixed { &name[..n - 16] } else { name }
}

impl TrainingJob {
    /// The job's category: `spec.category`, else its name without a
    /// `-YYYYMMDD-hhmmss` suffix (DESIGN §3).
    pub fn category(&self) -> String {
        match &self.spec.category {
            Some(c) => c.clone(),
            None => {
                without_timestamp_suffix(self.metadata.name.as_deref().unwrap_or("")).to_owned()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_category_is_the_name_without_the_timestamp_suffix() {
        assert_eq!(
            without_timestamp_suffix("mnist-elastic-20221019-045648"),
            "mnist-elastic"
        );
        assert_eq!(without_timestamp_suffix("mnist-elastic"), "mnist-elastic");
        assert_eq!(
            without_timestamp_suffix("a-2022101x-045648"),
            "a-2022101x-045648"
        );
        assert_eq!(
            without_timestamp_suffix("-20221019-045648"),
            "-20221019-045648"
        );
    }
}
