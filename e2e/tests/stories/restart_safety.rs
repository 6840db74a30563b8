//! Story (g): the scheduler killed mid-run and started again loses, duplicates and
//! double-counts nothing: allocation and time accounting are rebuilt from the
//! TrainingJobs and MPIJobs, and scheduling carries on.

use std::time::Duration;

use anyhow::Result;
use serde_json::json;

use super::Story;

const T: Duration = Duration::from_secs(60);

#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn a_killed_scheduler_resumes_without_losing_or_repeating_anything() -> Result<()> {
    let mut s = Story::new("restart").await?;
    s.nodes(2, 4).await?;
    s.policy(json!({"algorithm": "ElasticFIFO", "rateLimitSeconds": 1}))
        .await?;
    let mut sched = s.scheduler()?;

    s.submit("a", 1, 4).await?;
    s.submit("b", 1, 4).await?;
    s.expect_jobs(&[("a", "Running", 4), ("b", "Running", 4)], T)
        .await?;
    let before = s.job("a").await?;
    let started_events = |evs: &[String]| evs.iter().filter(|e| *e == "Started").count();
    let a_started = started_events(&s.events("a").await?);

    sched.kill();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _sched = s.scheduler()?;
    tokio::time::sleep(Duration::from_secs(5)).await;

    // The new process rebuilt the jobs from their status and MPIJobs: nothing
    // restarted, nothing recreated, no time re-counted.
    s.expect_jobs(&[("a", "Running", 4), ("b", "Running", 4)], T)
        .await?;
    assert_eq!(
        s.mpijob_count().await?,
        2,
        "no MPIJob created twice or lost"
    );
    assert_eq!(
        started_events(&s.events("a").await?),
        a_started,
        "a was not started again"
    );
    let after = s.job("a").await?;
    assert_eq!(
        before["status"]["firstStartTime"], after["status"]["firstStartTime"],
        "first start kept"
    );
    assert_eq!(
        before["status"]["accounting"], after["status"]["accounting"],
        "accounting neither reset nor double-counted"
    );

    // And it still schedules: ElasticFIFO shares the 8 GPUs with a newcomer
    // (phase 1: 1 + 1 + 2, then +1 sweeps: a 3, b 2, c 3).
    s.submit_with("c", json!({"min": 2, "max": 4}), json!({}))
        .await?;
    s.expect_jobs(
        &[
            ("a", "Running", 3),
            ("b", "Running", 2),
            ("c", "Running", 3),
        ],
        T,
    )
    .await?;
    s.finish("a", "Succeeded").await?;
    s.expect_jobs(
        &[
            ("a", "Completed", 0),
            ("b", "Running", 4),
            ("c", "Running", 4),
        ],
        T,
    )
    .await?;
    let done = s.job("a").await?;
    let ran = done["status"]["accounting"]["runningSeconds"]
        .as_f64()
        .unwrap_or(0.0);
    let wall = done["status"]["accounting"]["asOf"].as_f64().unwrap_or(0.0)
        - done["status"]["firstStartTime"]
            .as_str()
            .and_then(|t| t.parse::<k8s_openapi::jiff::Timestamp>().ok())
            .map(|t| t.as_millisecond() as f64 / 1000.0)
            .unwrap_or(0.0);
    // Running time covers the run from first start to finish, across the restart,
    // exactly once (it never stopped running).
    assert!((ran - wall).abs() < 2.0, "ran {ran}s over {wall}s: {done}");
    s.cleanup().await
}
