//! The HTTP side of each process: `/metrics`, `/healthz`, `/readyz`, and whatever
//! routes the caller merges in (the compatibility shim).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus_client::registry::Registry;
use tokio::sync::watch;

/// Shared by the routes: the metrics registry and whether the process is ready
/// (caches synced and, for leader-elected roles, leading or standing by).
#[derive(Clone)]
pub struct Ops {
    pub registry: Arc<RwLock<Registry>>,
    pub ready: watch::Receiver<bool>,
}

pub fn ops_router(ops: Ops) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .with_state(ops)
}

async fn metrics(State(ops): State<Ops>) -> impl IntoResponse {
    let body = match ops.registry.read() {
        Ok(r) => crate::metrics::encode(&r),
        Err(poisoned) => crate::metrics::encode(&poisoned.into_inner()),
    };
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
}

async fn readyz(State(ops): State<Ops>) -> impl IntoResponse {
    if *ops.ready.borrow() {
        (StatusCode::OK, "ok\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
    }
}

/// Serve `router` on `addr` until `shutdown` resolves.
pub async fn serve(
    addr: SocketAddr,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "listening");
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}
