//! Story (c): a cordoned node shrinks capacity; the job is scaled to fit and its
//! workers leave the cordoned node.

use std::time::Duration;

use anyhow::Result;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

use super::Story;

const T: Duration = Duration::from_secs(60);

#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn cordoning_a_node_scales_the_job_in_and_moves_it_off() -> Result<()> {
    let mut s = Story::new("capacity-loss").await?;
    let nodes = s.nodes(2, 4).await?;
    s.policy(json!({"algorithm": "ElasticFIFO", "rateLimitSeconds": 1}))
        .await?;
    let _sched = s.scheduler()?;

    s.submit("job", 1, 8).await?;
    s.expect_jobs(&[("job", "Running", 8)], T).await?;

    let api: Api<Node> = Api::all(s.client.clone());
    api.patch(
        &nodes[0],
        &PatchParams::default(),
        &Patch::Merge(&json!({"spec": {"unschedulable": true}})),
    )
    .await?;
    s.expect_jobs(&[("job", "Running", 4)], T).await?;
    s.eventually("all 4 workers on the schedulable node", T, || async {
        let by_node = s.workers_by_node("job").await?;
        Ok(by_node.get(&nodes[1]) == Some(&4) && by_node.len() == 1)
    })
    .await?;

    // A second non-elastic job cannot fit now and waits.
    s.submit_with("fixed", json!({"min": 4, "max": 4}), json!({}))
        .await?;
    s.expect_jobs(&[("job", "Running", 4), ("fixed", "Waiting", 0)], T)
        .await?;
    s.cleanup().await
}
