//! `SchedulerPolicy`: how the GPUs of one type are scheduled. Cluster-scoped; its
//! name is the GPU type.

// The repeated `printcolumn(type_ = ...)` keys of the kube derive are separate columns,
// not duplicated attributes.
#![allow(clippy::duplicated_attributes)]

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

use crate::core::algorithms::Algorithm;

/// Scheduling policy of one GPU type (the object's name), read by that type's scheduler.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[kube(
    group = "vodascheduler.io",
    version = "v1alpha1",
    kind = "SchedulerPolicy",
    status = "SchedulerPolicyStatus",
    shortname = "sp",
    category = "vodascheduler",
    doc = "Scheduling policy for the GPUs of one type; the object's name is the GPU type (nodes labelled vodascheduler/accelerator=<name>).",
    validation = Rule::new("self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$') && size(self.metadata.name) <= 63").message("metadata.name is the GPU type and must be a DNS label (lower-case letters, digits and '-', at most 63 characters)"),
    printcolumn(name = "Algorithm", type_ = "string", json_path = ".spec.algorithm"),
    printcolumn(name = "RateLimit", type_ = "integer", json_path = ".spec.rateLimitSeconds", description = "Seconds between reschedules"),
    printcolumn(name = "GPUs", type_ = "integer", json_path = ".status.gpusTotal"),
    printcolumn(name = "InUse", type_ = "integer", json_path = ".status.gpusInUse"),
    printcolumn(name = "Waiting", type_ = "integer", json_path = ".status.jobsWaiting"),
    printcolumn(name = "Running", type_ = "integer", json_path = ".status.jobsRunning"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct SchedulerPolicySpec {
    /// Allocation algorithm.
    #[serde(default)]
    pub algorithm: Algorithm,
    /// Least seconds between two reschedules; triggers in between coalesce into one.
    #[serde(default = "default_rate_limit")]
    #[schemars(range(min = 0, max = 86400))]
    pub rate_limit_seconds: u32,
    /// Worker placement (consolidation onto few nodes, migration).
    #[serde(default)]
    pub placement: PlacementSpec,
    /// Tiresias and ElasticTiresias knobs.
    #[serde(default)]
    pub tiresias: TiresiasSpec,
}

fn default_rate_limit() -> u32 {
    30
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlacementSpec {
    /// Pack each job's workers onto as few nodes as possible, migrating workers when
    /// that helps. When off, kube-scheduler places workers freely.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// How a worker is bound to its planned node.
    #[serde(default)]
    pub binding: Binding,
}

impl Default for PlacementSpec {
    fn default() -> Self {
        Self {
            enabled: true,
            binding: Binding::default(),
        }
    }
}

fn default_true() -> bool {
    true
}

/// Binding mode of the placement manager.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default, schemars::JsonSchema,
)]
pub enum Binding {
    /// Worker pods start with a scheduling gate; the manager sets their node and lifts it.
    #[default]
    SchedulingGates,
    /// Legacy: nodes tainted vodascheduler/hostname=<node>:NoExecute, pods get tolerations.
    LegacyTaints,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self.queueThresholds.all(i, i > 0.0)").message("tiresias.queueThresholds must be positive"))]
pub struct TiresiasSpec {
    /// GPU-seconds since last start after which a job is demoted from queue i to i+1
    /// (n thresholds make n+1 queues).
    #[serde(default = "default_thresholds")]
    #[schemars(length(min = 1, max = 16))]
    pub queue_thresholds: Vec<f64>,
    /// A queued job is promoted to queue 0 once its waiting time since last halt is at
    /// least promoteKnob × its running time since last start.
    #[serde(default = "default_promote_knob")]
    #[schemars(range(min = 0.0))]
    pub promote_knob: f64,
    /// ElasticTiresias: with more than this many jobs left waiting, allocated jobs in
    /// lower queues shrink to their minimum.
    #[serde(default = "default_compaction")]
    pub compaction_threshold: u32,
}

impl Default for TiresiasSpec {
    fn default() -> Self {
        Self {
            queue_thresholds: default_thresholds(),
            promote_knob: default_promote_knob(),
            compaction_threshold: default_compaction(),
        }
    }
}

fn default_thresholds() -> Vec<f64> {
    vec![3600.0]
}

fn default_promote_knob() -> f64 {
    8.0
}

fn default_compaction() -> u32 {
    10
}

/// What the scheduler of this GPU type reports.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchedulerPolicyStatus {
    #[serde(default)]
    pub gpus_total: u32,
    #[serde(default)]
    pub gpus_in_use: u32,
    #[serde(default)]
    pub jobs_waiting: u32,
    #[serde(default)]
    pub jobs_running: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reschedule_time: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reschedule_duration_seconds: Option<f64>,
    #[serde(default)]
    pub reschedule_count: u64,
    /// Reschedules asked for because a job's estimate (remaining time or speedup)
    /// changed past the threshold; each also has an EstimateChanged Event on the job.
    #[serde(default)]
    pub estimate_triggers: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
}
