//! `voda-scheduler manager`.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use prometheus_client::registry::Registry;
use tokio::sync::watch;

use super::run::{client, identity, shutdown_signal, spawn_http};
use crate::controller::{leader, manager};

/// Lease held by the active manager.
pub const LEASE: &str = "voda-scheduler-manager";

pub async fn run(listen: SocketAddr, lease_namespace: String) -> anyhow::Result<()> {
    let client = client().await?;
    let registry = Arc::new(RwLock::new(Registry::default()));
    // A standby is ready too: readiness says "this process works", leadership is
    // the Lease's business.
    let (_ready_tx, ready) = watch::channel(true);
    let http = spawn_http(listen, registry, ready, axum::Router::new());
    let work = manager::run(client.clone(), shutdown_signal());
    tokio::select! {
        r = leader::lead(client, &lease_namespace, LEASE, identity(), work) => r?,
        r = http => r??,
    }
    Ok(())
}
