//! Bring the core's picture up to date with the caches: policy, capacity, jobs
//! that arrived, changed, went away or finished. Level-triggered: it compares
//! the whole picture each time, so a missed or coalesced watch event loses nothing.

use std::collections::{BTreeSet, HashMap};

use crate::controller::clock::to_secs;
use crate::core::algorithms::Params;
use crate::core::job::{Speedup, WorkerRange};
use crate::core::plan::Change;
use crate::core::profile::EstimateChange;
use crate::core::queues::QueuePolicy;
use crate::core::scheduler::{JobSpec, Outcome, Phase, Policy, Scheduler};
use crate::crd::{SchedulerPolicySpec, TrainingJob};
use crate::workload::mpijob;

use super::cluster::{Cluster, JobKey};
use super::status::{snapshot_of, transition_key};

/// The core's policy from the SchedulerPolicy spec.
pub fn policy_of(spec: &SchedulerPolicySpec) -> Policy {
    Policy {
        algorithm: spec.algorithm,
        rate_limit_seconds: f64::from(spec.rate_limit_seconds),
        queues: QueuePolicy {
            thresholds: spec.tiresias.queue_thresholds.clone(),
            promote_knob: spec.tiresias.promote_knob,
        },
        params: Params {
            compaction_threshold: spec.tiresias.compaction_threshold,
        },
    }
}

/// The core's view of a TrainingJob's spec (and what was learned of its speed).
pub fn job_spec(key: &JobKey, job: &TrainingJob) -> JobSpec {
    let w = job.spec.workers;
    let profile = job.status.as_ref().and_then(|s| s.profile.as_ref());
    JobSpec {
        name: key.core_name(),
        submit_time: job
            .metadata
            .creation_timestamp
            .as_ref()
            .map(to_secs)
            .unwrap_or_default(),
        workers: WorkerRange {
            min: w.min,
            max: w.max,
            requested: w.requested_or_min(),
        },
        priority: job.spec.priority.unwrap_or(0),
        remaining_seconds: profile.map(|p| p.remaining_seconds).unwrap_or(0.0),
        speedup: profile
            .map(|p| Speedup(p.speedup.clone()))
            .unwrap_or_else(Speedup::linear),
    }
}

/// What observing found that users should hear about.
#[derive(Debug, Default)]
pub struct Observed {
    pub arrived: Vec<String>,
    pub removed: Vec<String>,
    pub finished: Vec<(String, Outcome)>,
    /// Jobs whose new estimate triggered a reschedule, and how it changed.
    pub estimates: Vec<(String, EstimateChange)>,
}

/// Update `sched` from the caches at `now`. `written` remembers the last status
/// transition written per job, so restored jobs are not written again.
pub fn observe(
    sched: &mut Scheduler,
    cluster: &Cluster,
    written: &mut HashMap<String, (Phase, u32, u32)>,
    now: f64,
) -> Observed {
    let mut seen = Observed::default();
    if let Some(policy) = cluster.policy() {
        sched.set_policy(now, policy_of(&policy.spec));
    }
    let gpus = cluster.gpu_nodes().iter().map(|n| n.gpus).sum();
    sched.set_capacity(now, gpus);

    let mut present = BTreeSet::new();
    for job in cluster.jobs.state() {
        if job.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let Some(key) = JobKey::of(&job) else {
            continue;
        };
        let name = key.core_name();
        let spec = job_spec(&key, &job);
        if sched.job(&name).is_some() {
            // New bounds trigger, and so does an estimate that changed past the
            // threshold (core::profile::estimate_change); smaller changes are used
            // by the next reschedule.
            if let Ok(update) = sched.update_job(now, spec)
                && let Some(change) = update.estimate
            {
                seen.estimates.push((name.clone(), change));
            }
            present.insert(name);
            continue;
        }
        match snapshot_of(&job) {
            Some(snap) if snap.phase.is_finished() => continue,
            Some(snap) if snap.phase != Phase::Submitted => {
                // A job this scheduler (or a previous instance) already handled:
                // rebuild it, then believe the MPIJob over the status for how many
                // workers it really has (a crash may have come between the two).
                if sched.restore_job(spec, snap).is_err() {
                    continue;
                }
                present.insert(name.clone());
                if let Some(record) = sched.job(&name) {
                    written.insert(name.clone(), transition_key(record));
                }
                reconcile_restored(sched, cluster, &key, now);
            }
            _ => {
                if sched.add_job(now, spec).is_ok() {
                    present.insert(name.clone());
                    seen.arrived.push(name);
                }
            }
        }
    }
    let gone: Vec<String> = sched
        .jobs()
        .map(|j| j.spec.name.clone())
        .filter(|n| !present.contains(n))
        .collect();
    for name in gone {
        let _ = sched.remove_job(now, &name);
        written.remove(&name);
        seen.removed.push(name);
    }

    let running: Vec<String> = sched
        .jobs()
        .filter(|j| j.phase == Phase::Running)
        .map(|j| j.spec.name.clone())
        .collect();
    for name in running {
        let Some(key) = JobKey::parse(&name) else {
            continue;
        };
        let outcome = cluster
            .mpijob(&key)
            .and_then(|m| m.outcome())
            .map(|o| match o {
                mpijob::Outcome::Succeeded => Outcome::Completed,
                mpijob::Outcome::Failed => Outcome::Failed,
            });
        if let Some(outcome) = outcome
            && sched.job_finished(now, &name, outcome).is_ok()
        {
            seen.finished.push((name, outcome));
        }
    }
    seen
}

fn reconcile_restored(sched: &mut Scheduler, cluster: &Cluster, key: &JobKey, now: f64) {
    let name = key.core_name();
    let Some(record) = sched.job(&name) else {
        return;
    };
    let has = record.workers();
    let really = cluster
        .mpijob(key)
        .filter(|m| m.metadata.deletion_timestamp.is_none())
        .map(|m| m.worker_replicas())
        .unwrap_or(0);
    if has != really {
        tracing::info!(job = %name, status = has, mpijob = really, "restored job differs from its MPIJob; following the MPIJob");
        sched.apply_change(
            now,
            &Change {
                job: name,
                from: has,
                to: really,
            },
        );
        sched.trigger(now);
    }
}
