//! Story (a): under ElasticFIFO an elastic job takes all 8 GPUs of its node group;
//! an identical second job arrives and they split 4/4, each packed on one node; the
//! first completes and the second grows to 8.

use std::time::Duration;

use anyhow::Result;
use serde_json::json;

use super::Story;

const T: Duration = Duration::from_secs(60);

#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn elastic_jobs_split_then_grow_when_one_completes() -> Result<()> {
    let mut s = Story::new("elastic-split").await?;
    s.nodes(2, 4).await?;
    s.policy(json!({"algorithm": "ElasticFIFO", "rateLimitSeconds": 1}))
        .await?;
    let sched = s.scheduler()?;

    s.submit("first", 1, 8).await?;
    s.expect_jobs(&[("first", "Running", 8)], T).await?;

    s.submit("second", 1, 8).await?;
    s.expect_jobs(&[("first", "Running", 4), ("second", "Running", 4)], T)
        .await?;
    // Placement keeps each 4-worker job on a single node.
    for job in ["first", "second"] {
        s.eventually(&format!("{job}'s 4 workers on one node"), T, || async {
            let by_node = s.workers_by_node(job).await?;
            Ok(by_node.len() == 1 && by_node.values().sum::<usize>() == 4)
        })
        .await?;
    }

    s.finish("first", "Succeeded").await?;
    s.expect_jobs(&[("first", "Completed", 0), ("second", "Running", 8)], T)
        .await?;
    let first = s.job("first").await?;
    assert!(first["status"]["finishTime"].is_string(), "{first}");
    assert!(
        first["status"]["accounting"]["runningSeconds"]
            .as_f64()
            .unwrap_or(0.0)
            > 0.0,
        "{first}"
    );
    let events = s.events("second").await?;
    for reason in ["Waiting", "Started", "Scaled"] {
        assert!(events.iter().any(|e| e == reason), "{events:?}");
    }
    assert!(s.events("first").await?.iter().any(|e| e == "Completed"));

    let metrics = sched.metrics()?;
    let gpu = s.gpu.replace('-', "_");
    for line in [
        format!("voda_scheduler_{gpu}_scheduler_jobs_created_total 2"),
        format!("voda_scheduler_{gpu}_scheduler_jobs_completed_total 1"),
        format!("voda_scheduler_{gpu}_scheduler_gpus 8"),
        format!("voda_scheduler_{gpu}_scheduler_gpus_inuse 8"),
        format!("voda_scheduler_{gpu}_scheduler_jobs_running 1"),
    ] {
        assert!(metrics.contains(&line), "missing {line:?} in\n{metrics}");
    }
    s.cleanup().await
}
