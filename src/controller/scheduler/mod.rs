//! The scheduler of one GPU type: the loop of DESIGN §4 around the pure core.
//!
//! One task owns the core `Scheduler`. It wakes when any watched object changes
//! or when the core says something is due (a rate-limited reschedule, a Tiresias
//! queue evaluation), brings the core up to date, reschedules if due, carries the
//! plan out, and writes status only for jobs whose phase, workers or queue changed.

mod act;
mod carry_out;
mod cluster;
mod observe;
mod placing;
mod policy_status;
mod starter;
mod status;
mod status_writer;
mod templates;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kube::Client;
use kube::runtime::events::{EventType, Recorder, Reporter};
use serde_json::json;
use tokio::sync::watch;

use crate::controller::clock;
use crate::core::plan::Action;
use crate::core::scheduler::{Outcome, Phase, Scheduler};
use crate::metrics::{AllocatorMetrics, SchedulerMetrics};

use act::Actor;
use carry_out::carry_out;
pub use cluster::{Cluster, JobKey};
use observe::{observe, policy_of};
use policy_status::PolicyStatusWriter;
use starter::Starter;
use status_writer::StatusWriter;

/// Field manager of the scheduler of `gpu_type` (server-side apply owner).
pub fn field_manager(gpu_type: &str) -> String {
    format!("voda-scheduler-{gpu_type}")
}

pub struct Options {
    pub gpu_type: String,
    /// Watch TrainingJobs of one namespace only.
    pub namespace: Option<String>,
}

/// Run the scheduler loop until the process ends.
pub async fn run(
    client: Client,
    opts: Options,
    metrics: SchedulerMetrics,
    allocator: AllocatorMetrics,
    ready: watch::Sender<bool>,
) -> anyhow::Result<()> {
    let gpu_type = opts.gpu_type.clone();
    let cluster = Cluster::start(client.clone(), &gpu_type, opts.namespace.as_deref()).await;
    let actor = Arc::new(Actor::new(
        client.clone(),
        Recorder::new(
            client.clone(),
            Reporter {
                controller: field_manager(&gpu_type),
                instance: std::env::var("POD_NAME").ok(),
            },
        ),
        field_manager(&gpu_type),
    ));
    let mut starter = Starter::new(actor.clone(), cluster.clone(), cluster.changed.clone());
    let statuses = StatusWriter::start(
        client.clone(),
        field_manager(&gpu_type),
        cluster.changed.clone(),
    );
    let _ = ready.send(true);
    tracing::info!(%gpu_type, "caches synced");

    let mut sched: Option<Scheduler> = None;
    let mut written: HashMap<String, (Phase, u32, u32)> = HashMap::new();
    let mut placement: BTreeMap<String, BTreeMap<u32, String>> = BTreeMap::new();
    let mut placed_once = false;
    let policy_status = PolicyStatusWriter::start(client.clone(), gpu_type.clone());
    let mut last_resched: Option<(f64, f64)> = None;
    let mut resched_count: u64 = 0;
    let mut estimate_triggers: u64 = 0;
    // A change was left out because its job's start was in flight.
    let mut deferred = false;

    loop {
        let round_started = Instant::now();
        let now = clock::now();
        if sched.is_none()
            && let Some(policy) = cluster.policy()
        {
            let gpus = cluster.gpu_nodes().iter().map(|n| n.gpus).sum();
            sched = Some(Scheduler::new(now, policy_of(&policy.spec), gpus));
        }
        if let Some(s) = sched.as_mut() {
            // A failed status write is retried with the values of this round.
            for job in statuses.take_failed() {
                written.remove(&job);
            }
            for f in starter.take_finished() {
                match f.result {
                    Ok(()) => actor.announce(&cluster, Action::Start, &f.change),
                    Err(e) => {
                        tracing::warn!(job = %f.change.job, "not started: {e}");
                        if s.undo_start(&f.before) {
                            s.reschedule_failed(now);
                        }
                    }
                }
                if std::mem::take(&mut deferred) {
                    s.trigger(now);
                }
            }
            let seen = observe(s, &cluster, &mut written, now);
            for _ in &seen.arrived {
                metrics.jobs_created.inc();
            }
            for _ in &seen.removed {
                metrics.jobs_deleted.inc();
            }
            for (job, outcome) in &seen.finished {
                let (reason, type_) = match outcome {
                    Outcome::Completed => {
                        metrics.jobs_completed.inc();
                        ("Completed", EventType::Normal)
                    }
                    Outcome::Failed => {
                        metrics.jobs_failed.inc();
                        ("Failed", EventType::Warning)
                    }
                };
                actor.event(
                    &cluster,
                    job,
                    type_,
                    reason,
                    format!("the MPIJob reported {reason}"),
                );
            }
            for (job, change) in &seen.estimates {
                estimate_triggers += 1;
                tracing::info!(%job, %change, "estimate changed past the threshold; rescheduling");
                actor.event(
                    &cluster,
                    job,
                    EventType::Normal,
                    "EstimateChanged",
                    format!("{change}: past the reschedule threshold, rescheduling"),
                );
            }
            let tick = s.tick(now);
            for q in &tick.queue_changes {
                tracing::info!(job = %q.job, from = q.from, to = q.to, "queue change");
            }

            let binding = cluster
                .policy()
                .filter(|p| p.spec.placement.enabled)
                .map(|p| p.spec.placement.binding);
            let mut rescheduled = None;
            if s.reschedule_due(now) {
                let started = Instant::now();
                let algorithm = s.policy().algorithm;
                let alloc_started = Instant::now();
                match s.reschedule(now) {
                    Ok(r) => {
                        let alloc_secs = alloc_started.elapsed().as_secs_f64();
                        metrics.resched_allocator_duration.observe(alloc_secs);
                        allocator.observe(
                            algorithm,
                            s.ready_jobs().len(),
                            s.capacity(),
                            alloc_secs,
                        );
                        for job in &r.admitted {
                            actor.event(
                                &cluster,
                                job,
                                EventType::Normal,
                                "Waiting",
                                "waiting for GPUs".into(),
                            );
                        }
                        let apply_started = Instant::now();
                        let failed = carry_out(
                            s,
                            &actor,
                            &mut starter,
                            &cluster,
                            &r.plan,
                            binding,
                            &mut deferred,
                        )
                        .await;
                        if failed {
                            s.reschedule_failed(clock::now());
                        }
                        tracing::debug!(
                            changes = r.plan.len(),
                            secs = apply_started.elapsed().as_secs_f64(),
                            "plan handed over"
                        );
                        rescheduled = Some((now, started));
                    }
                    Err(e) => tracing::warn!("reschedule: {e}"),
                }
            }
            // Placement follows every reschedule, and runs once after a restart so
            // the gated pods of running jobs get a node.
            if binding.is_some() && (rescheduled.is_some() || (!placed_once && s.gpus_in_use() > 0))
            {
                let p_started = Instant::now();
                let running: BTreeMap<String, u32> =
                    s.allocation().into_iter().filter(|&(_, w)| w > 0).collect();
                if let Some(p) = actor.place(&cluster, &running).await {
                    metrics
                        .placement_workers_migrated
                        .observe(p.migrations.len() as f64);
                    metrics
                        .placement_launchers_deleted
                        .observe(p.launchers_to_delete.len() as f64);
                    metrics
                        .placement_jobs_cross_node
                        .set(i64::try_from(p.jobs_cross_node()).unwrap_or(0));
                    placement = p.workers;
                }
                placed_once = true;
                let secs = p_started.elapsed().as_secs_f64();
                metrics.placement_duration.observe(secs);
                tracing::debug!(jobs = running.len(), secs, "placed");
            }
            if let Some((at, started)) = rescheduled {
                resched_count += 1;
                metrics.resched.inc();
                let secs = started.elapsed().as_secs_f64();
                metrics.resched_duration.observe(secs);
                last_resched = Some((at, secs));
            }
            if let Some(binding) = binding {
                let n = actor.bind(&cluster, binding, &placement);
                if n > 0 {
                    tracing::debug!(pods = n, "sending pods to their nodes");
                }
            }
            write_statuses(&statuses, &cluster, s, &starter, &mut written, &gpu_type);
            update_gauges(&metrics, s);
            policy_status.set(policy_status_of(
                s,
                last_resched,
                (resched_count, estimate_triggers),
            ));
        }

        tracing::debug!(secs = round_started.elapsed().as_secs_f64(), "round");
        let wait = sched
            .as_ref()
            .and_then(Scheduler::next_wakeup)
            .map(|t| Duration::from_secs_f64((t - clock::now()).clamp(0.0, 3600.0)))
            .unwrap_or(Duration::from_secs(3600));
        tokio::select! {
            () = cluster.changed.notified() => {},
            () = tokio::time::sleep(wait) => {},
        }
    }
}

/// Queue a status write for every job whose phase, workers or queue changed,
/// except jobs whose start is in flight (they are written when it is done).
fn write_statuses(
    writer: &StatusWriter,
    cluster: &Cluster,
    sched: &Scheduler,
    starter: &Starter,
    written: &mut HashMap<String, (Phase, u32, u32)>,
    gpu_type: &str,
) {
    let now = clock::now();
    for r in sched
        .jobs()
        .filter(|r| r.phase != Phase::Submitted && !starter.busy(&r.spec.name))
    {
        let tkey = status::transition_key(r);
        if written.get(&r.spec.name) == Some(&tkey) {
            continue;
        }
        let Some(key) = JobKey::parse(&r.spec.name) else {
            continue;
        };
        let Some(job) = cluster.job(&key) else {
            continue;
        };
        writer.send(key, status::patch(&job, r, gpu_type, now));
        written.insert(r.spec.name.clone(), tkey);
    }
}

fn update_gauges(metrics: &SchedulerMetrics, sched: &Scheduler) {
    let count = |p| i64::try_from(sched.count(p)).unwrap_or(i64::MAX);
    let waiting = count(Phase::Waiting) + count(Phase::Submitted);
    let running = count(Phase::Running);
    metrics.jobs_waiting.set(waiting);
    metrics.jobs_running.set(running);
    metrics.jobs_ready.set(waiting + running);
    metrics.gpus.set(i64::from(sched.capacity()));
    metrics.gpus_inuse.set(i64::from(sched.gpus_in_use()));
}

/// The SchedulerPolicy status the loop reports.
fn policy_status_of(
    sched: &Scheduler,
    last: Option<(f64, f64)>,
    (count, estimate_triggers): (u64, u64),
) -> serde_json::Value {
    let mut status = json!({
        "gpusTotal": sched.capacity(),
        "gpusInUse": sched.gpus_in_use(),
        "jobsWaiting": sched.count(Phase::Waiting) + sched.count(Phase::Submitted),
        "jobsRunning": sched.count(Phase::Running),
        "rescheduleCount": count,
        "estimateTriggers": estimate_triggers,
    });
    if let Some((at, secs)) = last {
        status["lastRescheduleTime"] = json!(clock::to_time(at));
        status["lastRescheduleDurationSeconds"] = json!(secs);
    }
    status
}
