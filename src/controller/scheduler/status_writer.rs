//! TrainingJob status writes, off the scheduler loop.
//!
//! The loop decides which statuses to write; this task writes them. Writing in
//! the loop made every job that arrived during a round wait for that round's
//! writes before the loop even looked at it (BENCHMARKS.md, "Live scheduler").
//! Writes to one job stay in order and coalesce: while one is in flight only
//! the newest next one is kept. A failed write is handed back so the loop
//! tries again with fresh values.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use kube::api::{Patch, PatchParams};
use kube::{Api, Client};
use serde_json::Value;
use tokio::sync::{Notify, mpsc};

use super::cluster::JobKey;
use crate::crd::TrainingJob;

/// Writes in flight at once, across jobs.
const CONCURRENCY: usize = 16;

pub struct StatusWriter {
    tx: mpsc::UnboundedSender<(JobKey, Value)>,
    failed: Arc<Mutex<Vec<String>>>,
}

impl StatusWriter {
    /// Start the writer task; `wake` is notified when a write failed.
    pub fn start(client: Client, field_manager: String, wake: Arc<Notify>) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let failed = Arc::new(Mutex::new(Vec::new()));
        tokio::spawn(run(client, field_manager, rx, failed.clone(), wake));
        StatusWriter { tx, failed }
    }

    /// Queue a server-side-apply status patch for the job.
    pub fn send(&self, key: JobKey, patch: Value) {
        // Err only once the task is gone, i.e. the runtime is shutting down.
        let _ = self.tx.send((key, patch));
    }

    /// Jobs ("namespace/name") whose last write failed since the last call.
    pub fn take_failed(&self) -> Vec<String> {
        match self.failed.lock() {
            Ok(mut f) => std::mem::take(&mut *f),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        }
    }
}

async fn run(
    client: Client,
    field_manager: String,
    mut rx: mpsc::UnboundedReceiver<(JobKey, Value)>,
    failed: Arc<Mutex<Vec<String>>>,
    wake: Arc<Notify>,
) {
    let params = PatchParams::apply(&field_manager).force();
    // Newest unsent patch per job, and the jobs with one in arrival order.
    let mut pending: HashMap<String, (JobKey, Value)> = HashMap::new();
    let mut order: VecDeque<String> = VecDeque::new();
    let mut in_flight: HashSet<String> = HashSet::new();
    let mut writes = FuturesUnordered::new();
    let mut open = true;
    loop {
        // Start what may start: jobs with a write in flight wait their turn.
        let mut waiting = Vec::new();
        while in_flight.len() < CONCURRENCY {
            let Some(name) = order.pop_front() else { break };
            if in_flight.contains(&name) {
                waiting.push(name);
                continue;
            }
            let Some((key, patch)) = pending.remove(&name) else {
                continue;
            };
            in_flight.insert(name.clone());
            let api: Api<TrainingJob> = Api::namespaced(client.clone(), &key.namespace);
            let params = params.clone();
            writes.push(async move {
                let result = api
                    .patch_status(&key.name, &params, &Patch::Apply(&patch))
                    .await;
                if let Err(e) = &result {
                    tracing::warn!(job = %key.name, "status: {e}");
                }
                (name, result.is_ok())
            });
        }
        for name in waiting.into_iter().rev() {
            order.push_front(name);
        }
        if !open && writes.is_empty() && pending.is_empty() {
            return;
        }

        tokio::select! {
            msg = rx.recv(), if open => match msg {
                Some((key, patch)) => {
                    let name = key.core_name();
                    if pending.insert(name.clone(), (key, patch)).is_none() {
                        order.push_back(name);
                    }
                }
                None => open = false,
            },
            Some((name, ok)) = writes.next(), if !writes.is_empty() => {
                in_flight.remove(&name);
                if !ok {
                    match failed.lock() {
                        Ok(mut f) => f.push(name),
                        Err(poisoned) => poisoned.into_inner().push(name),
                    }
                    wake.notify_one();
                }
            }
            else => return,
        }
    }
}
