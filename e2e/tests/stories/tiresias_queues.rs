//! Story (e): Tiresias demotes a job that used its queue's GPU-seconds (letting a
//! newer job in queue 0 preempt it) and promotes it back once it has waited
//! promoteKnob × its last run.

use std::time::Duration;

use anyhow::Result;
use serde_json::json;

use super::Story;

#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn a_job_is_demoted_preempted_and_promoted_again() -> Result<()> {
    let mut s = Story::new("tiresias").await?;
    s.nodes(1, 2).await?;
    // Queue 0 allows 10 GPU-seconds (5 s on 2 GPUs); promotion after waiting
    // as long as the last run.
    s.policy(json!({
        "algorithm": "Tiresias",
        "rateLimitSeconds": 1,
        "tiresias": {"queueThresholds": [10.0], "promoteKnob": 1.0}
    }))
    .await?;
    let _sched = s.scheduler()?;

    s.submit_with("old", json!({"min": 2, "max": 2}), json!({}))
        .await?;
    s.expect_jobs(&[("old", "Running", 2)], Duration::from_secs(30))
        .await?;
    s.submit_with("new", json!({"min": 2, "max": 2}), json!({}))
        .await?;

    // `old` passes 10 GPU-seconds, drops to queue 1, and `new` (queue 0) takes over.
    s.eventually(
        "old demoted and halted",
        Duration::from_secs(40),
        || async {
            let old = s.job("old").await?;
            Ok(old["status"]["queue"] == 1 && old["status"]["phase"] == "Waiting")
        },
    )
    .await?;
    s.expect_jobs(
        &[("old", "Waiting", 0), ("new", "Running", 2)],
        Duration::from_secs(20),
    )
    .await?;
    assert!(s.events("old").await?.iter().any(|e| e == "Halted"));

    // After waiting as long as it ran, `old` is promoted to queue 0 again.
    s.eventually("old promoted", Duration::from_secs(40), || async {
        Ok(s.job("old").await?["status"]["queue"] == 0)
    })
    .await?;
    s.cleanup().await
}
