//! `voda-scheduler scheduler --gpu-type <T>`.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use prometheus_client::registry::Registry;
use tokio::sync::watch;

use super::run::{client, identity, spawn_http};
use crate::compat::{Ctx, scheduler_router};
use crate::controller::{leader, scheduler};
use crate::core::algorithms::Algorithm;
use crate::metrics::{AllocatorMetrics, SchedulerMetrics};

pub struct Args {
    pub gpu_type: String,
    pub listen: SocketAddr,
    pub namespace: Option<String>,
    pub lease_namespace: String,
    pub compat_namespace: String,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let client = client().await?;
    let mut registry = Registry::default();
    let metrics = SchedulerMetrics::register(&mut registry, &args.gpu_type, Algorithm::default());
    let allocator = AllocatorMetrics::register(&mut registry);
    let registry = Arc::new(RwLock::new(registry));
    let (ready_tx, ready) = watch::channel(false);
    // The documented per-scheduler endpoints (GET /training, PUT /algorithm,
    // PUT /ratelimit); served by every replica, they only talk to the API server.
    let ctx = Ctx::new(client.clone(), args.compat_namespace).with_job_cache();
    let http = spawn_http(
        args.listen,
        registry,
        ready,
        scheduler_router(ctx, args.gpu_type.clone()),
    );
    let lease = format!("voda-scheduler-{}", args.gpu_type);
    let opts = scheduler::Options {
        gpu_type: args.gpu_type.clone(),
        namespace: args.namespace,
    };
    let work = async {
        if let Err(e) = scheduler::run(client.clone(), opts, metrics, allocator, ready_tx).await {
            tracing::error!("scheduler: {e:#}");
        }
    };
    tokio::select! {
        r = leader::lead(client.clone(), &args.lease_namespace, &lease, identity(), work) => r?,
        r = http => r??,
    }
    Ok(())
}
