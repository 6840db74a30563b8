//! Story (h): with two replicas only one acts; when it dies the standby takes over
//! within 30 s.

use std::time::{Duration, Instant};

use anyhow::Result;
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::Api;
use serde_json::json;

use super::Story;

const T: Duration = Duration::from_secs(60);

#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn only_the_leader_acts_and_the_standby_takes_over() -> Result<()> {
    let mut s = Story::new("leader").await?;
    s.nodes(1, 4).await?;
    s.policy(json!({"algorithm": "FIFO", "rateLimitSeconds": 1}))
        .await?;
    let mut one = s.scheduler()?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut two = s.scheduler()?;

    s.submit_with("a", json!({"min": 2, "max": 2}), json!({}))
        .await?;
    s.expect_jobs(&[("a", "Running", 2)], T).await?;
    let leases: Api<Lease> = Api::namespaced(s.client.clone(), &s.lease_ns);
    let lease = format!("voda-scheduler-{}", s.gpu);
    let holder = leases
        .get(&lease)
        .await?
        .spec
        .and_then(|l| l.holder_identity);
    let one_leads = one.log_text().contains("became leader");
    let two_leads = two.log_text().contains("became leader");
    assert!(
        one_leads ^ two_leads,
        "exactly one leader; holder {holder:?}"
    );
    assert_eq!(s.mpijob_count().await?, 1);

    let (leader, standby) = if one_leads {
        (&mut one, &mut two)
    } else {
        (&mut two, &mut one)
    };
    leader.kill();
    let killed = Instant::now();
    s.eventually("the standby leads", Duration::from_secs(40), || async {
        Ok(standby.log_text().contains("became leader"))
    })
    .await?;
    let takeover = killed.elapsed();
    assert!(
        takeover < Duration::from_secs(30),
        "took over after {takeover:?}"
    );

    s.submit_with("b", json!({"min": 2, "max": 2}), json!({}))
        .await?;
    s.expect_jobs(&[("a", "Running", 2), ("b", "Running", 2)], T)
        .await?;
    assert_eq!(s.mpijob_count().await?, 2);
    s.cleanup().await
}
