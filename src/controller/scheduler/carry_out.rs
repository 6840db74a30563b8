//! One reschedule's plan, carried out on the cluster and recorded in the core.

use crate::controller::clock;
use crate::core::plan::{Action, Plan};
use crate::core::scheduler::Scheduler;
use crate::crd::Binding;

use super::act::{Actor, Applied};
use super::cluster::Cluster;
use super::starter::Starter;

/// Carry `plan` out and record in `sched` what went through: halts and scale-ins
/// (awaited, so their GPUs are on their way out), then starts (handed to the
/// starter, recorded now, undone if refused), then scale-outs. Changes to a job
/// whose start is still in flight wait for the next reschedule (`deferred`).
/// Returns whether the API server refused anything.
pub async fn carry_out(
    sched: &mut Scheduler,
    actor: &Actor,
    starter: &mut Starter,
    cluster: &Cluster,
    plan: &Plan,
    binding: Option<Binding>,
    deferred: &mut bool,
) -> bool {
    let mut failed = false;
    let first = actor
        .apply(
            cluster,
            plan,
            binding,
            &[Action::Halt, Action::ScaleIn],
            |j| starter.busy(j),
        )
        .await;
    let at = record(sched, &first, &mut failed, deferred);

    for (_, change) in plan.steps().filter(|(a, _)| *a == Action::Start) {
        if starter.busy(&change.job) {
            *deferred = true;
            continue;
        }
        let Some(before) = sched.job(&change.job).cloned() else {
            continue;
        };
        if sched.apply_change(at, change) {
            starter.start(change.clone(), before, binding);
        }
    }

    let last = actor
        .apply(cluster, plan, binding, &[Action::ScaleOut], |j| {
            starter.busy(j)
        })
        .await;
    record(sched, &last, &mut failed, deferred);
    failed
}

/// Record what a group of awaited changes did; returns when it was recorded.
fn record(sched: &mut Scheduler, applied: &Applied, failed: &mut bool, deferred: &mut bool) -> f64 {
    let at = clock::now();
    for change in &applied.done {
        sched.apply_change(at, change);
    }
    *failed |= applied.failed;
    *deferred |= applied.skipped > 0;
    at
}
