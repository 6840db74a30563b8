//! Story (b): changing the SchedulerPolicy's algorithm changes the next allocation.

use std::time::Duration;

use anyhow::Result;
use serde_json::json;

use super::Story;

const T: Duration = Duration::from_secs(60);

#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn switching_fifo_to_elastic_fifo_grows_the_job() -> Result<()> {
    let mut s = Story::new("algorithm-change").await?;
    s.nodes(1, 8).await?;
    s.policy(json!({"algorithm": "FIFO", "rateLimitSeconds": 1}))
        .await?;
    let _sched = s.scheduler()?;

    // FIFO gives exactly min.
    s.submit("job", 2, 8).await?;
    s.expect_jobs(&[("job", "Running", 2)], T).await?;

    s.policy(json!({"algorithm": "ElasticFIFO", "rateLimitSeconds": 1}))
        .await?;
    s.expect_jobs(&[("job", "Running", 8)], T).await?;
    s.cleanup().await
}
