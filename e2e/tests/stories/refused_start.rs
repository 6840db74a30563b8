//! A start the API server refuses is undone: the job stays Waiting (never shown
//! Running, no Started Event) and is started once the obstacle is gone. The
//! obstacle here is an MPIJob of the same name that is not the job's.

use std::time::Duration;

use anyhow::{Result, ensure};
use kube::api::{Api, DeleteParams, DynamicObject, PostParams};
use serde_json::json;

use super::{Story, mpijob_resource};

const T: Duration = Duration::from_secs(60);

#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn a_refused_start_leaves_the_job_waiting_until_it_can_start() -> Result<()> {
    let mut s = Story::new("refused-start").await?;
    s.nodes(1, 4).await?;
    s.policy(json!({"algorithm": "FIFO", "rateLimitSeconds": 1}))
        .await?;
    let sched = s.scheduler()?;

    // Someone else's MPIJob already has the name the job's MPIJob would get.
    let mpijobs: Api<DynamicObject> =
        Api::namespaced_with(s.client.clone(), &s.ns, &mpijob_resource());
    let squatter = json!({
        "apiVersion": "kubeflow.org/v2beta1", "kind": "MPIJob",
        "metadata": {"name": "a", "namespace": s.ns},
        "spec": {"mpiReplicaSpecs": {
            "Launcher": {"replicas": 1, "template": {"spec": {"containers": [{"name": "l", "image": "x"}]}}},
            "Worker": {"replicas": 0, "template": {"spec": {"containers": [{"name": "w", "image": "x"}]}}}
        }}
    });
    mpijobs
        .create(&PostParams::default(), &serde_json::from_value(squatter)?)
        .await?;

    s.submit_with("a", json!({"min": 4, "max": 4}), json!({}))
        .await?;
    s.eventually("the refused start in the scheduler's log", T, || async {
        Ok(sched.log_text().contains("not started"))
    })
    .await?;
    // Retried about every second, refused each time: never Running meanwhile.
    for _ in 0..12 {
        let jobs = s.jobs().await?;
        ensure!(
            jobs.get("a")
                .is_none_or(|(phase, w)| phase != "Running" && *w == 0),
            "a refused job was shown as started: {jobs:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    s.expect_jobs(&[("a", "Waiting", 0)], T).await?;
    ensure!(
        !s.events("a").await?.contains(&"Started".to_owned()),
        "a Started Event for a start that was refused"
    );

    mpijobs.delete("a", &DeleteParams::default()).await?;
    s.expect_jobs(&[("a", "Running", 4)], T).await?;
    let mpijob = serde_json::to_value(mpijobs.get("a").await?)?;
    ensure!(
        mpijob["metadata"]["ownerReferences"][0]["name"] == "a",
        "the MPIJob is the job's own now: {}",
        mpijob["metadata"]
    );
    s.eventually("a Started Event", T, || async {
        Ok(s.events("a").await?.contains(&"Started".to_owned()))
    })
    .await?;
    s.cleanup().await
}
