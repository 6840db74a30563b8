//! Story (f): when a finishing job frees a node, placement migrates the workers of
//! a job that was split across nodes so it sits on one node.

use std::time::Duration;

use anyhow::Result;
use serde_json::json;

use super::Story;

const T: Duration = Duration::from_secs(60);

#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn a_freed_node_brings_a_split_job_together() -> Result<()> {
    let mut s = Story::new("placement").await?;
    s.nodes(2, 4).await?;
    s.policy(json!({"algorithm": "FIFO", "rateLimitSeconds": 1}))
        .await?;
    let _sched = s.scheduler()?;

    // a and b take 3 GPUs of each node; c (2 workers) can only run split 1 + 1.
    s.submit_with("a", json!({"min": 3, "max": 3}), json!({}))
        .await?;
    s.submit_with("b", json!({"min": 3, "max": 3}), json!({}))
        .await?;
    s.expect_jobs(&[("a", "Running", 3), ("b", "Running", 3)], T)
        .await?;
    s.submit_with("c", json!({"min": 2, "max": 2}), json!({}))
        .await?;
    s.expect_jobs(
        &[
            ("a", "Running", 3),
            ("b", "Running", 3),
            ("c", "Running", 2),
        ],
        T,
    )
    .await?;
    s.eventually("c split over two nodes", T, || async {
        Ok(s.workers_by_node("c").await?.len() == 2)
    })
    .await?;

    // a finishing frees its node; c is packed onto one node by migrating a worker.
    s.finish("a", "Succeeded").await?;
    s.eventually("c's 2 workers on one node", T, || async {
        let by_node = s.workers_by_node("c").await?;
        Ok(by_node.len() == 1 && by_node.values().sum::<usize>() == 2)
    })
    .await?;
    assert!(s.events("c").await?.iter().any(|e| e == "Migrated"));
    s.cleanup().await
}
