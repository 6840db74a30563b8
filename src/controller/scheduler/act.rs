//! The scheduler's hands on the cluster: one change of a plan (halt, scale, start),
//! a group of them concurrently, and Events. Placement is in placing.rs; the order
//! of a whole plan is in carry_out.rs.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use futures::{StreamExt, stream};
use kube::api::{DeleteParams, GetParams, Patch, PatchParams, PostParams, PropagationPolicy};
use kube::runtime::events::{Event, EventType, Recorder};
use kube::{Api, Client, Resource};
use serde_json::json;
use tokio::sync::Semaphore;

use crate::core::plan::{Action, Change, Plan};
use crate::crd::{Binding, TrainingJob};
use crate::workload::build::mpijob_for;
use crate::workload::mpijob::MPIJob;

use super::cluster::{Cluster, JobKey};

/// API calls in flight at once; enough to start hundreds of jobs in a second or two
/// without flooding the API server.
pub const CONCURRENCY: usize = 16;

/// What [`Actor::apply`] did.
#[derive(Default)]
pub struct Applied {
    /// Changes that went through, in apply order.
    pub done: Vec<Change>,
    /// Whether the API server refused any.
    pub failed: bool,
    /// Changes left out because their job was busy.
    pub skipped: usize,
}

/// Events published at once. Events are history for users, not state: with
/// hundreds of jobs arriving together they must not crowd out the calls that
/// start jobs (each one in flight is a connection and API server work).
const EVENTS_IN_FLIGHT: usize = 4;

pub struct Actor {
    pub client: Client,
    pub recorder: Recorder,
    pub field_manager: String,
    pub events_in_flight: Arc<Semaphore>,
    pub binds_in_flight: Arc<Semaphore>,
    /// Pods (`namespace/name`) whose binding patch is in flight.
    pub binding_pods: Arc<Mutex<HashSet<String>>>,
}

impl Actor {
    pub fn new(client: Client, recorder: Recorder, field_manager: String) -> Self {
        Self {
            client,
            recorder,
            field_manager,
            events_in_flight: Arc::new(Semaphore::new(EVENTS_IN_FLIGHT)),
            binds_in_flight: Arc::new(Semaphore::new(CONCURRENCY)),
            binding_pods: Arc::default(),
        }
    }

    /// Apply the changes of `plan` of the given `actions`, each group concurrently
    /// and the groups in order. Changes to jobs for which `busy` says so are left
    /// out (and counted in `skipped`). Returns the changes that went through, in
    /// apply order, and whether any was refused.
    pub async fn apply(
        &self,
        cluster: &Cluster,
        plan: &Plan,
        binding: Option<Binding>,
        actions: &[Action],
        busy: impl Fn(&str) -> bool,
    ) -> Applied {
        let mut applied = Applied::default();
        for &action in actions {
            let mut group: Vec<&Change> = Vec::new();
            for (a, change) in plan.steps() {
                if a != action {
                    continue;
                }
                if busy(&change.job) {
                    applied.skipped += 1;
                } else {
                    group.push(change);
                }
            }
            let results: Vec<(Change, Result<(), kube::Error>)> = stream::iter(group)
                .map(|change| async move {
                    let r = self.one(cluster, action, change, binding).await;
                    (change.clone(), r)
                })
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
            for (change, result) in results {
                match result {
                    Ok(()) => {
                        self.announce(cluster, action, &change);
                        applied.done.push(change);
                    }
                    Err(e) => {
                        tracing::warn!(job = %change.job, ?action, "not applied: {e}");
                        applied.failed = true;
                    }
                }
            }
        }
        applied
    }

    /// Carry out one change on the cluster.
    pub async fn one(
        &self,
        cluster: &Cluster,
        action: Action,
        change: &Change,
        binding: Option<Binding>,
    ) -> Result<(), kube::Error> {
        let Some(key) = JobKey::parse(&change.job) else {
            return Ok(());
        };
        let api: Api<MPIJob> = Api::namespaced(self.client.clone(), &key.namespace);
        match action {
            Action::Halt => {
                let dp = DeleteParams {
                    propagation_policy: Some(PropagationPolicy::Background),
                    ..DeleteParams::default()
                };
                match api.delete(&key.name, &dp).await {
                    Ok(_) => Ok(()),
                    Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
                    Err(e) => Err(e),
                }
            }
            Action::ScaleIn | Action::ScaleOut => {
                let patch =
                    json!({"spec": {"mpiReplicaSpecs": {"Worker": {"replicas": change.to}}}});
                api.patch(&key.name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                    .map(|_| ())
            }
            Action::Start => {
                let Some(cached) = cluster.job(&key) else {
                    return Ok(());
                };
                let Some(job) = self.whole_job(cluster, &key, &cached).await? else {
                    return Ok(());
                };
                let mpijob = mpijob_for(&job, change.to, binding).map_err(|e| {
                    kube::Error::Service(Box::new(std::io::Error::other(e.to_string())))
                })?;
                let pp = PostParams {
                    field_manager: Some(self.field_manager.clone()),
                    ..PostParams::default()
                };
                api.create(&pp, &mpijob).await.map(|_| ())
            }
        }
    }

    /// The whole job behind the slimmed cache entry `cached`, or `None` if it is
    /// gone or no longer the one we scheduled. The cache keeps no pod templates
    /// (cache::slim_job); `templates` does. Should they be missing, read the job:
    /// any version will do (`mpiJob` is immutable), so the API server answers from
    /// its watch cache.
    async fn whole_job(
        &self,
        cluster: &Cluster,
        key: &JobKey,
        cached: &TrainingJob,
    ) -> Result<Option<TrainingJob>, kube::Error> {
        if let Some(job) = cluster.templates.restore(cached) {
            return Ok(Some(job));
        }
        tracing::debug!(job = %key.core_name(), "no cached template; reading the job");
        let jobs: Api<TrainingJob> = Api::namespaced(self.client.clone(), &key.namespace);
        match jobs.get_with(&key.name, &GetParams::any()).await {
            Ok(job) if job.metadata.uid == cached.metadata.uid => Ok(Some(job)),
            Ok(_) => Ok(None),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn announce(&self, cluster: &Cluster, action: Action, change: &Change) {
        let (reason, note) = match action {
            Action::Halt => (
                "Halted",
                "halted to make room; waiting for GPUs again".to_owned(),
            ),
            Action::Start => ("Started", format!("started with {} workers", change.to)),
            Action::ScaleIn | Action::ScaleOut => (
                "Scaled",
                format!("scaled from {} to {} workers", change.from, change.to),
            ),
        };
        self.event(cluster, &change.job, EventType::Normal, reason, note);
    }

    /// Publish an Event on a TrainingJob without holding up the loop.
    pub fn event(
        &self,
        cluster: &Cluster,
        core_name: &str,
        type_: EventType,
        reason: &str,
        note: String,
    ) {
        let Some(job) = JobKey::parse(core_name).and_then(|k| cluster.job(&k)) else {
            return;
        };
        let reference = job.object_ref(&());
        let recorder = self.recorder.clone();
        let event = Event {
            type_,
            reason: reason.to_owned(),
            note: Some(note),
            action: "Schedule".to_owned(),
            secondary: None,
        };
        let permits = self.events_in_flight.clone();
        tokio::spawn(async move {
            let Ok(_permit) = permits.acquire_owned().await else {
                return;
            };
            if let Err(e) = recorder.publish(&event, &reference).await {
                tracing::debug!("event: {e}");
            }
        });
    }
}
