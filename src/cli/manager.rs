//! `voda-scheduler manager`.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use prometheus_client::registry::Registry;
use tokio::sync::watch;

use super::run::{client, identity, shutdown_signal, spawn_http};
use crate::compat::{Ctx, TrainingServiceMetrics, progress_router, training_service_router};
use crate::controller::{leader, manager};

/// Lease held by the active manager.
pub const LEASE: &str = "voda-scheduler-manager";

pub struct Args {
    pub listen: SocketAddr,
    pub lease_namespace: String,
    pub compat_namespace: String,
    /// The manager's base URL as training pods reach it; jobs report progress there.
    pub progress_url: String,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let client = client().await?;
    let mut registry = Registry::default();
    let training = TrainingServiceMetrics::register(&mut registry, &args.compat_namespace);
    let registry = Arc::new(RwLock::new(registry));
    // The documented training-service endpoints; every replica serves them (they
    // only talk to the API server), leadership only gates the controller.
    let ctx = Ctx::new(client.clone(), args.compat_namespace)
        .with_training_metrics(training)
        .with_job_cache();
    let (ready_tx, ready) = watch::channel(false);
    let http = spawn_http(
        args.listen,
        registry,
        ready,
        training_service_router(ctx.clone()).merge(progress_router(client.clone())),
    );
    ctx.job_cache_ready().await;
    let _ = ready_tx.send(true);
    let work = manager::run(client.clone(), args.progress_url, shutdown_signal());
    tokio::select! {
        r = leader::lead(client, &args.lease_namespace, LEASE, identity(), work) => r?,
        r = http => r??,
    }
    Ok(())
}
