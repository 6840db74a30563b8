//! A TrainingJob's status as the scheduler owns it, rebuilt from the core's record.
//! Written with server-side apply, so every apply carries all scheduler-owned fields.

use serde_json::{Value, json};

use crate::controller::clock::to_time;
use crate::controller::condition::condition;
use crate::core::scheduler::{JobRecord, JobSnapshot, Phase};
use crate::crd::{TrainingJob, conditions};
use crate::display::go_duration;

/// What a reader needs to rebuild the job after a restart, from its status.
pub fn snapshot_of(job: &TrainingJob) -> Option<JobSnapshot> {
    let status = job.status.as_ref()?;
    let accounting = status.accounting?;
    Some(JobSnapshot {
        phase: status.phase,
        queue: status.queue,
        gpu_seconds_at_promotion: status.gpu_seconds_at_promotion,
        first_start_time: status
            .first_start_time
            .as_ref()
            .map(crate::controller::clock::to_secs),
        finish_time: status
            .finish_time
            .as_ref()
            .map(crate::controller::clock::to_secs),
        accounting,
    })
}

/// The comparable part of a status: a change here is a transition worth writing.
pub fn transition_key(record: &JobRecord) -> (Phase, u32, u32) {
    (record.phase, record.workers(), record.queue.queue)
}

/// The status patch for `record` at `now`.
pub fn patch(job: &TrainingJob, record: &JobRecord, gpu_type: &str, now: f64) -> Value {
    let snap = record.snapshot();
    let times = record.times(now);
    let existing = job
        .status
        .as_ref()
        .map(|s| s.conditions.clone())
        .unwrap_or_default();
    let (scheduled, reason, message) = match record.phase {
        Phase::Submitted | Phase::Waiting => (
            false,
            "Waiting",
            format!("waiting for GPUs of type {gpu_type}"),
        ),
        Phase::Running => (
            true,
            "Running",
            format!("running with {} workers", record.workers()),
        ),
        Phase::Completed => (false, "Completed", "the MPIJob succeeded".to_owned()),
        Phase::Failed => (false, "Failed", "the MPIJob failed".to_owned()),
    };
    let cond = condition(
        &existing,
        conditions::SCHEDULED,
        scheduled,
        reason,
        message,
        job.metadata.generation,
    );
    let mut status = json!({
            "phase": record.phase,
            "workers": record.workers(),
            "scheduler": gpu_type,
            "queue": snap.queue,
            "lastTransitionTime": to_time(now),
            "accounting": snap.accounting,
            "gpuSecondsAtPromotion": snap.gpu_seconds_at_promotion,
            "times": {
                "waiting": go_duration(times.waiting_seconds),
                "running": go_duration(times.running_seconds),
                "total": go_duration(times.total_seconds),
            },
            "observedGeneration": job.metadata.generation,
            "conditions": [cond],
    });
    // Absent rather than null: null in an apply would not clear an old value anyway.
    if let Some(t) = snap.first_start_time {
        status["firstStartTime"] = json!(to_time(t));
    }
    if let Some(t) = snap.finish_time {
        status["finishTime"] = json!(to_time(t));
    }
    json!({
        "apiVersion": "vodascheduler.io/v1alpha1",
        "kind": "TrainingJob",
        "status": status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::scheduler::{JobSpec, Policy, Scheduler};
    use crate::crd::{JobProfile, TrainingJobStatus};

    /// The scheduler's apply must never carry `profile`: under server-side apply a
    /// field in it would become the scheduler's, and leaving it out of a later apply
    /// would delete the manager's learned profile.
    #[test]
    fn the_scheduler_status_never_carries_the_profile() {
        let text = include_str!("../../../examples/tensorflow2-keras-mnist-elastic.yaml");
        let mut job: TrainingJob = serde_norway::from_str(text).expect("example parses");
        job.status = Some(TrainingJobStatus {
            profile: Some(JobProfile {
                remaining_seconds: 100.0,
                speedup: vec![0.0, 1.0],
                ..JobProfile::default()
            }),
            ..TrainingJobStatus::default()
        });
        let mut sched = Scheduler::new(0.0, Policy::default(), 8);
        sched
            .add_job(0.0, JobSpec::new("ns/job", 0.0, 1, 2))
            .expect("added");
        let record = sched.job("ns/job").expect("known");
        let patch = patch(&job, record, "nvidia-gtx-1080ti", 5.0);
        let status = patch["status"].as_object().expect("status object");
        assert!(status.contains_key("phase"), "{patch}");
        assert!(!status.contains_key("profile"), "{patch}");
    }
}
