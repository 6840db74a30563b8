//! Leader election: one Lease per role, so two replicas never act at once.

use std::future::Future;

use kube::Client;
use kube_lease_manager::LeaseManagerBuilder;

/// Lease duration; a standby takes over at most this long (plus grace) after the
/// leader dies, well inside the 30 s we promise.
const LEASE_SECONDS: u64 = 15;
const GRACE_SECONDS: u64 = 5;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("leader election: {0}")]
    Lease(#[from] kube_lease_manager::LeaseManagerError),
    #[error("lost the lease {0}; stopping so a fresh leader rebuilds from the cluster")]
    Lost(String),
}

/// Wait until this process holds `lease` in `namespace`, then run `work` until it
/// finishes. If the lease is lost meanwhile the work is dropped (never two leaders)
/// and `Error::Lost` is returned; the caller exits and a restart rebuilds state.
pub async fn lead<F>(
    client: Client,
    namespace: &str,
    lease: &str,
    identity: String,
    work: F,
) -> Result<(), Error>
where
    F: Future<Output = ()>,
{
    let manager = LeaseManagerBuilder::new(client, lease)
        .with_namespace(namespace)
        .with_identity(identity.clone())
        .with_duration(LEASE_SECONDS)
        .with_grace(GRACE_SECONDS)
        .build()
        .await?;
    let (mut leading, task) = manager.watch().await;
    tracing::info!(lease, identity, "waiting to become leader");
    while !*leading.borrow_and_update() {
        if leading.changed().await.is_err() {
            return Err(Error::Lost(lease.to_owned()));
        }
    }
    tracing::info!(lease, identity, "became leader");
    let lost = async {
        loop {
            if leading.changed().await.is_err() || !*leading.borrow() {
                return;
            }
        }
    };
    let result = tokio::select! {
        () = work => Ok(()),
        () = lost => Err(Error::Lost(lease.to_owned())),
    };
    // Closing the channel releases the lease, so a standby takes over at once.
    drop(leading);
    let _ = task.await;
    result
}
