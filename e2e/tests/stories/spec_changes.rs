//! A TrainingJob's spec after it started: new worker bounds are scheduled, changes
//! the running MPIJob could not honour are refused by the API server, clearly.

use std::time::Duration;

use anyhow::Result;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use serde_json::json;

use super::{Story, tj_resource};

const T: Duration = Duration::from_secs(60);

#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn worker_bounds_change_is_scheduled_and_other_changes_are_refused() -> Result<()> {
    let mut s = Story::new("spec-changes").await?;
    s.nodes(1, 8).await?;
    s.policy(json!({"algorithm": "ElasticFIFO", "rateLimitSeconds": 1}))
        .await?;
    let _sched = s.scheduler()?;

    s.submit("job", 1, 2).await?;
    s.expect_jobs(&[("job", "Running", 2)], T).await?;

    let api: Api<DynamicObject> = Api::namespaced_with(s.client.clone(), &s.ns, &tj_resource());
    let merge = |v| Patch::Merge(v);
    api.patch(
        "job",
        &PatchParams::default(),
        &merge(json!({"spec": {"workers": {"max": 6}}})),
    )
    .await?;
    s.expect_jobs(&[("job", "Running", 6)], T).await?;

    for (patch, field) in [
        (
            json!({"spec": {"mpiJob": {"slotsPerWorker": 2}}}),
            "mpiJob cannot be changed",
        ),
        (json!({"spec": {"priority": 3}}), "priority"),
        (json!({"spec": {"epochs": 7}}), "epochs"),
        (
            json!({"spec": {"gpuType": "other"}}),
            "gpuType cannot be changed",
        ),
    ] {
        let err = api
            .patch("job", &PatchParams::default(), &merge(patch.clone()))
            .await
            .expect_err("the API server refuses the change");
        let msg = err.to_string();
        assert!(msg.contains(field), "{patch}: {msg}");
    }
    // Nothing of the refused changes reached the job.
    s.expect_jobs(&[("job", "Running", 6)], T).await?;
    s.cleanup().await
}
