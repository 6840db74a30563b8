//! Shared start-up of the long-running roles (manager, scheduler).

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use kube::Client;
use prometheus_client::registry::Registry;
use tokio::sync::watch;

use crate::server::{Ops, ops_router, serve};

/// Logging to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Who holds a lease: the pod name in a cluster, else host and process id.
pub fn identity() -> String {
    std::env::var("POD_NAME").unwrap_or_else(|_| {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_else(|_| "localhost".into());
        format!("{host}-{}", std::process::id())
    })
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// A client from the kubeconfig (`KUBECONFIG`) or the in-cluster service account.
pub async fn client() -> anyhow::Result<Client> {
    Client::try_default()
        .await
        .map_err(|e| anyhow::anyhow!("cannot reach Kubernetes (set KUBECONFIG?): {e}"))
}

/// The process's HTTP server: ops routes plus `extra`, in the background.
pub fn spawn_http(
    listen: SocketAddr,
    registry: Arc<RwLock<Registry>>,
    ready: watch::Receiver<bool>,
    extra: axum::Router,
) -> tokio::task::JoinHandle<std::io::Result<()>> {
    let router = ops_router(Ops { registry, ready }).merge(extra);
    tokio::spawn(serve(listen, router, shutdown_signal()))
}
