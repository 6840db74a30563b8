//! Story (d): deleting a running job frees its GPUs for the others.

use std::time::Duration;

use anyhow::Result;
use serde_json::json;

use super::Story;

const T: Duration = Duration::from_secs(60);

#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn deleting_a_running_job_lets_the_waiting_one_start() -> Result<()> {
    let mut s = Story::new("delete-frees").await?;
    s.nodes(1, 4).await?;
    s.policy(json!({"algorithm": "FIFO", "rateLimitSeconds": 1}))
        .await?;
    let _sched = s.scheduler()?;

    s.submit_with("a", json!({"min": 4, "max": 4}), json!({}))
        .await?;
    s.expect_jobs(&[("a", "Running", 4)], T).await?;
    s.submit_with("b", json!({"min": 4, "max": 4}), json!({}))
        .await?;
    s.expect_jobs(&[("a", "Running", 4), ("b", "Waiting", 0)], T)
        .await?;

    s.delete_job("a").await?;
    s.expect_jobs(&[("b", "Running", 4)], T).await?;
    // The MPIJob went with its TrainingJob (owner reference).
    s.eventually("a's MPIJob garbage-collected", T, || async {
        Ok(s.mpijob_count().await? == 1)
    })
    .await?;
    s.cleanup().await
}
