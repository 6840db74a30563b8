//! Starts run beside the loop. Starting a job is an API call (create its MPIJob
//! from the template kept in `templates`); when the loop waited for a round's
//! starts, hundreds of jobs arriving together queued behind whole rounds
//! (BENCHMARKS.md, "Live scheduler"). Now the loop records a start in the core
//! when it hands it over, keeps other changes away from the job until it hears
//! back, and undoes the start if the API server refused it.

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::{Notify, Semaphore, mpsc};

use crate::core::plan::{Action, Change};
use crate::core::scheduler::JobRecord;
use crate::crd::Binding;

use super::act::Actor;
use super::cluster::Cluster;

/// Starts in flight at once; the rest wait their turn in the background. A start
/// spends most of its time waiting for the API server and etcd, which batch
/// concurrent writes: with 500 jobs arriving at once, 16 in flight left jobs
/// queued here for up to 1.9 s; 48 cut the p99 creation → MPIJob from 3.1 s to
/// 1.8 s (BENCHMARKS.md, "Live scheduler").
const CONCURRENCY: usize = 48;

/// A start that finished, and whether the API server took it.
pub struct Finished {
    pub change: Change,
    /// The job's record before the start was recorded, to undo it.
    pub before: JobRecord,
    pub result: Result<(), kube::Error>,
}

pub struct Starter {
    actor: Arc<Actor>,
    cluster: Cluster,
    permits: Arc<Semaphore>,
    done_tx: mpsc::UnboundedSender<Finished>,
    done_rx: mpsc::UnboundedReceiver<Finished>,
    /// Jobs whose start is in flight; no other change may touch them meanwhile.
    in_flight: HashSet<String>,
    wake: Arc<Notify>,
}

impl Starter {
    /// `wake` is notified whenever a start finishes.
    pub fn new(actor: Arc<Actor>, cluster: Cluster, wake: Arc<Notify>) -> Self {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        Self {
            actor,
            cluster,
            permits: Arc::new(Semaphore::new(CONCURRENCY)),
            done_tx,
            done_rx,
            in_flight: HashSet::new(),
            wake,
        }
    }

    /// Whether `job` has a start in flight.
    pub fn busy(&self, job: &str) -> bool {
        self.in_flight.contains(job)
    }

    /// Start `change.job` in the background; `before` is its record before the
    /// caller recorded the start.
    pub fn start(&mut self, change: Change, before: JobRecord, binding: Option<Binding>) {
        self.in_flight.insert(change.job.clone());
        let actor = self.actor.clone();
        let cluster = self.cluster.clone();
        let permits = self.permits.clone();
        let done = self.done_tx.clone();
        let wake = self.wake.clone();
        tokio::spawn(async move {
            let result = match permits.acquire_owned().await {
                Ok(_permit) => actor.one(&cluster, Action::Start, &change, binding).await,
                // The semaphore is never closed; if it were, the start is refused.
                Err(e) => Err(kube::Error::Service(Box::new(e))),
            };
            let _ = done.send(Finished {
                change,
                before,
                result,
            });
            wake.notify_one();
        });
    }

    /// The starts that finished since the last call.
    pub fn take_finished(&mut self) -> Vec<Finished> {
        let mut finished = Vec::new();
        while let Ok(f) = self.done_rx.try_recv() {
            self.in_flight.remove(&f.change.job);
            finished.push(f);
        }
        finished
    }
}
