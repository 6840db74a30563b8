//! The manager: lifecycle work that is not per GPU type.
//!
//! It stamps new TrainingJobs as Submitted and says, with a condition and an Event,
//! whether a SchedulerPolicy exists for their gpuType. When a policy appears the
//! watch on policies re-reconciles the jobs of that type, so nothing polls.

use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Patch, PatchParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource, ResourceExt};
use serde_json::json;

use super::condition::{condition, differs};
use crate::crd::{SchedulerPolicy, TrainingJob, conditions};

pub const FIELD_MANAGER: &str = "voda-scheduler-manager";

struct Ctx {
    client: Client,
    policies: Store<SchedulerPolicy>,
    recorder: Recorder,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("kubernetes API: {0}")]
    Kube(#[from] kube::Error),
}

/// Run the manager's TrainingJob controller until `shutdown` resolves.
pub async fn run(
    client: Client,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let jobs = Api::<TrainingJob>::all(client.clone());
    let policies = Api::<SchedulerPolicy>::all(client.clone());
    let (policy_store, policy_writer) = kube::runtime::reflector::store();
    let policy_stream =
        kube::runtime::reflector(policy_writer, watcher(policies, watcher::Config::default()))
            .applied_objects();

    let controller = Controller::new(jobs, watcher::Config::default());
    let job_store = controller.store();
    let ctx = Arc::new(Ctx {
        client: client.clone(),
        policies: policy_store,
        recorder: Recorder::new(
            client,
            Reporter {
                controller: FIELD_MANAGER.into(),
                instance: std::env::var("POD_NAME").ok(),
            },
        ),
    });
    controller
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
    if status.phase.is_finished() {
        return Ok(Action::await_change());
    }
    // Judge "no policy" only on a complete list of policies, never on a cache
    // that is still filling at start-up.
    if ctx.policies.wait_until_ready().await.is_err() {
        return Ok(Action::requeue(std::time::Duration::from_secs(1)));
    }
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

fn error_policy(_job: Arc<TrainingJob>, err: &Error, _ctx: Arc<Ctx>) -> Action {
    tracing::warn!("manager: {err}; retrying");
    Action::requeue(std::time::Duration::from_secs(5))
}
