//! The legacy binding mode: nodes carry `vodascheduler/hostname=<node>:NoExecute`,
//! the placement manager sends each worker to its planned node by adding the matching
//! toleration, and launchers tolerate every such taint.

use std::time::Duration;

use anyhow::Result;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

use super::Story;

const T: Duration = Duration::from_secs(60);

#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn tainted_nodes_get_workers_through_added_tolerations() -> Result<()> {
    let mut s = Story::new("legacy-taints").await?;
    let nodes = s.nodes(2, 4).await?;
    let api: Api<Node> = Api::all(s.client.clone());
    for node in &nodes {
        api.patch(
            node,
            &PatchParams::default(),
            &Patch::Merge(&json!({"spec": {"taints": [
                {"key": "vodascheduler/hostname", "value": node, "effect": "NoExecute"}
            ]}})),
        )
        .await?;
    }
    s.policy(json!({
        "algorithm": "FIFO",
        "rateLimitSeconds": 1,
        "placement": {"enabled": true, "binding": "LegacyTaints"}
    }))
    .await?;
    let _sched = s.scheduler()?;

    s.submit_with("job", json!({"min": 4, "max": 4}), json!({}))
        .await?;
    s.expect_jobs(&[("job", "Running", 4)], T).await?;
    // All four workers got past the taints, and placement packed them on one node.
    s.eventually("4 Running workers on one tainted node", T, || async {
        let by_node = s.workers_by_node("job").await?;
        Ok(by_node.len() == 1 && by_node.values().sum::<usize>() == 4)
    })
    .await?;
    s.cleanup().await
}
