//! The manager: lifecycle work that is not per GPU type.
//!
//! It stamps new TrainingJobs as Submitted and says, with a condition and an Event,
//! whether a SchedulerPolicy exists for their gpuType. When a policy appears the
//! watch on policies re-reconciles the jobs of that type, so nothing polls.
//!
//! It also keeps each unfinished job's progress credential (`credentials`), starts a
//! new job from its category's profile and teaches the category what a finished job
//! measured (`learning`). Secrets and CategoryProfiles are watched too: a deleted
//! credential is recreated, and a category that learns something reaches the jobs of
//! that category still without a profile.

mod credentials;
mod learning;

use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Patch, PatchParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource, ResourceExt};
use serde_json::json;

use super::condition::{condition, differs};
use crate::crd::{CategoryProfile, SchedulerPolicy, TrainingJob, conditions};
use crate::workload::credential::CREDENTIAL_LABEL;

pub const FIELD_MANAGER: &str = "voda-scheduler-manager";

struct Ctx {
    client: Client,
    policies: Store<SchedulerPolicy>,
    /// Progress credentials (only Secrets with the credential label).
    secrets: Store<Secret>,
    categories: Store<CategoryProfile>,
    recorder: Recorder,
    /// The manager's base URL as training pods reach it (`--progress-url`).
    progress_base_url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    #[error("no random bytes for a progress token: {0}")]
    Random(String),
}

/// Run the manager's TrainingJob controller until `shutdown` resolves.
/// `progress_base_url` is the manager's URL as training pods reach it.
pub async fn run(
    client: Client,
    progress_base_url: String,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let jobs = Api::<TrainingJob>::all(client.clone());
    let (policy_store, policy_stream, _policy_task) = driven(watcher(
        Api::<SchedulerPolicy>::all(client.clone()),
        watcher::Config::default(),
    ));
    // Only our Secrets: a label-filtered watch, never every Secret of the cluster.
    let (secret_store, secret_stream, _secret_task) = driven(watcher(
        Api::<Secret>::all(client.clone()),
        watcher::Config::default().labels(&format!("{CREDENTIAL_LABEL}=true")),
    ));
    let (category_store, category_stream, _category_task) = driven(watcher(
        Api::<CategoryProfile>::all(client.clone()),
        watcher::Config::default(),
    ));
    // Every cache is complete before the first reconcile reads it, so reconciles
    // never wait for one (see `driven`) and judge "no policy", "no credential" or "no
    // category profile" only on complete lists. One waiter per store, one at a time:
    // see `cache_ready`.
    if policy_store.wait_until_ready().await.is_err()
        || secret_store.wait_until_ready().await.is_err()
        || category_store.wait_until_ready().await.is_err()
    {
        tracing::error!(
            "a SchedulerPolicy, Secret or CategoryProfile watch ended before its first list"
        );
        return;
    }
    // Said at info level: a manager that leads but never gets here is otherwise silent.
    tracing::info!("policy, credential and category caches synced; reconciling TrainingJobs");

    let controller = Controller::new(jobs, watcher::Config::default());
    let job_store = controller.store();
    let category_jobs = job_store.clone();
    let ctx = Arc::new(Ctx {
        client: client.clone(),
        policies: policy_store,
        secrets: secret_store,
        categories: category_store,
        recorder: Recorder::new(
            client,
            Reporter {
                controller: FIELD_MANAGER.into(),
                instance: std::env::var("POD_NAME").ok(),
            },
        ),
        progress_base_url,
    });
    controller
        // A credential changed or went: back to its job (owner reference).
        .owns_stream(secret_stream)
        // A category that learned something: to its jobs still without a profile.
        .watches_stream(category_stream, move |cat: CategoryProfile| {
            let ns = cat.namespace();
            category_jobs
                .state()
                .into_iter()
                .filter(|j| {
                    j.namespace() == ns
                        && j.spec.gpu_type == cat.spec.gpu_type
                        && j.category() == cat.spec.category
                        && j.status.as_ref().is_none_or(|s| s.profile.is_none())
                })
                .map(|j| ObjectRef::from_obj(&*j))
                .collect::<Vec<_>>()
        })
        // A policy that appears (or goes) changes the PolicyFound condition of every
        // job of its GPU type.
        .watches_stream(policy_stream, move |policy: SchedulerPolicy| {
            let gpu_type = policy.name_any();
            job_store
                .state()
                .into_iter()
                .filter(|j| j.spec.gpu_type == gpu_type)
                .map(|j| ObjectRef::from_obj(&*j))
                .collect::<Vec<_>>()
        })
        .graceful_shutdown_on(shutdown)
        .run(reconcile, error_policy, ctx)
        .for_each(|res| async move {
            if let Err(e) = res {
                tracing::debug!("manager reconcile: {e}");
            }
        })
        .await;
}

async fn reconcile(job: Arc<TrainingJob>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let status = job.status.clone().unwrap_or_default();
    tracing::debug!(job = %job.name_any(), phase = ?status.phase, "reconciling");
    // (Every cache in `ctx` was complete before the controller started.)
    if job.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    if status.phase.is_finished() {
        learning::learn_from_finished(&ctx, &job).await?;
        return Ok(Action::await_change());
    }
    credentials::ensure(&ctx, &job).await?;
    learning::start_from_category(&ctx, &job).await?;
    let gpu_type = &job.spec.gpu_type;
    let found = ctx.policies.get(&ObjectRef::new(gpu_type)).is_some();
    let want = if found {
        condition(
            &status.conditions,
            conditions::POLICY_FOUND,
            true,
            "PolicyExists",
            format!("SchedulerPolicy {gpu_type} schedules this job"),
            job.metadata.generation,
        )
    } else {
        condition(
            &status.conditions,
            conditions::POLICY_FOUND,
            false,
            "NoSchedulerPolicy",
            format!(
                "no SchedulerPolicy named {gpu_type} exists; the job waits until one is created"
            ),
            job.metadata.generation,
        )
    };
    let stamp_submit = status.submit_time.is_none();
    if !stamp_submit && !differs(&status.conditions, &want) {
        return Ok(Action::await_change());
    }

    let submit_time = status
        .submit_time
        .clone()
        .or_else(|| job.metadata.creation_timestamp.clone())
        .unwrap_or_else(|| Time(k8s_openapi::jiff::Timestamp::now()));
    // Only these fields are the manager's; phase defaults to Submitted in the schema
    // and belongs to the scheduler once it picks the job up.
    let patch = json!({
        "apiVersion": "vodascheduler.io/v1alpha1",
        "kind": "TrainingJob",
        "status": {"submitTime": submit_time, "conditions": [want]},
    });
    let api = Api::<TrainingJob>::namespaced(
        ctx.client.clone(),
        job.metadata.namespace.as_deref().unwrap_or("default"),
    );
    api.patch_status(
        &job.name_any(),
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&patch),
    )
    .await?;

    if !found && differs(&status.conditions, &want) {
        let event = Event {
            type_: EventType::Warning,
            reason: "NoSchedulerPolicy".into(),
            note: Some(format!(
                "no SchedulerPolicy named {gpu_type}: create one (kubectl apply -f a SchedulerPolicy) to schedule this job"
            )),
            action: "Admit".into(),
            secondary: None,
        };
        if let Err(e) = ctx.recorder.publish(&event, &job.object_ref(&())).await {
            tracing::warn!("event for {}: {e}", job.name_any());
        }
    }
    Ok(Action::await_change())
}

/// A cache of `K` kept by a task of its own, and a stream of the objects it sees
/// (changed or deleted) to trigger reconciles with.
///
/// Why not hand the reflector to the controller as a trigger stream: the controller
/// polls trigger streams only along with its queue, and reconciles that waited for
/// such a cache to fill never woke up (kube-runtime wakes only the last of several
/// `Store::wait_until_ready` waiters, see `cache_ready`). A task of its own fills the
/// cache independently, so `run` can wait for it once, before any reconcile. The task
/// ends when the returned guard is dropped, i.e. when `run` ends or is dropped on
/// losing leadership.
fn driven<K>(
    watch: impl futures::Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send + 'static,
) -> (
    Store<K>,
    impl futures::Stream<Item = Result<K, watcher::Error>> + Send + 'static,
    AbortOnDrop,
)
where
    K: kube::Resource<DynamicType = ()> + Clone + std::fmt::Debug + Send + Sync + 'static,
    K: serde::de::DeserializeOwned,
{
    let (store, writer) = kube::runtime::reflector::store();
    let (tx, rx) = futures::channel::mpsc::unbounded();
    let objects = kube::runtime::reflector(writer, watch.default_backoff()).touched_objects();
    let task = tokio::spawn(async move {
        let mut objects = std::pin::pin!(objects);
        while let Some(item) = objects.next().await {
            match item {
                Ok(obj) => {
                    if tx.unbounded_send(Ok(obj)).is_err() {
                        break;
                    }
                }
                Err(e) => tracing::warn!("manager watch: {e}; retrying"),
            }
        }
    });
    (store, rx, AbortOnDrop(task))
}

/// Aborts its task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn error_policy(_job: Arc<TrainingJob>, err: &Error, _ctx: Arc<Ctx>) -> Action {
    tracing::warn!("manager: {err}; retrying");
    Action::requeue(std::time::Duration::from_secs(5))
}
