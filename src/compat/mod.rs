//! The documented HTTP API of the old Go services (DESIGN §8), on top of the CRDs.
//!
//! - [`training_service_router`]: the manager's port 55587 — `POST /training`,
//!   `DELETE /training`, `GET /training` (every job).
//! - [`progress_router`]: also on 55587, `POST /training/{namespace}/{name}/progress`,
//!   where a training job reports its epochs (authenticated by its own token).
//! - [`scheduler_router`]: each scheduler's port 55588 — `GET /training` (its jobs),
//!   `PUT /algorithm`, `PUT /ratelimit`.
//!
//! `GET /metrics` on both ports is served by [`crate::server::ops_router`], which the
//! process merges these routers into (`cli::run::spawn_http`), so one registry holds
//! the families of everything in the process: the training service's
//! ([`TrainingServiceMetrics`]) on 55587, the scheduler's and the allocator's on 55588.
//!
//! Request parsing, naming and the table are pure (`submission`, `legacy_mpijob`,
//! `naming`, `table`); the handlers only read the body, call those and talk to the API
//! server. Bad input is rejected before anything is written, with a 4xx and one line
//! saying what is wrong.

use std::future::Future;

use futures::StreamExt;
use jiff::Timestamp;
use kube::api::ListParams;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use tokio::net::TcpListener;

use crate::cache_ready::CacheReady;
use crate::crd::TrainingJob;

mod http;
pub mod legacy_mpijob;
pub mod metrics;
pub mod naming;
pub mod progress;
pub mod scheduler_api;
pub mod submission;
pub mod table;
pub mod training_service;

#[cfg(test)]
mod router_tests;

pub use http::ApiError;
pub use metrics::TrainingServiceMetrics;
pub use progress::progress_router;
pub use scheduler_api::scheduler_router;
pub use training_service::training_service_router;

/// Serve a router on an address until a shutdown future completes (the process's
/// HTTP server, shared with `/metrics` and the health endpoints).
pub use crate::server::serve;

/// Namespace the shim works in unless told otherwise, as the old services did.
pub const DEFAULT_NAMESPACE: &str = "voda-scheduler";
/// Field manager of every write the shim makes.
pub const FIELD_MANAGER: &str = "voda-scheduler-compat";
/// Largest request body accepted (1 MiB), as DESIGN §8 says; the biggest legitimate
/// body, a job YAML, is a few KB.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// The training service's (manager's) port.
pub const TRAINING_SERVICE_PORT: u16 = 55587;
/// Each scheduler's port.
pub const SCHEDULER_PORT: u16 = 55588;

/// What the handlers share.
#[derive(Clone)]
pub struct Ctx {
    client: Client,
    namespace: String,
    training_metrics: TrainingServiceMetrics,
    /// The job cache and whether its first list is in.
    jobs: Option<(Store<TrainingJob>, CacheReady)>,
}

impl Ctx {
    /// A context working in `namespace`.
    ///
    /// The training-service metrics count but are not exported until
    /// [`Ctx::with_training_metrics`] is given ones registered into the process's
    /// registry. `GET /training` lists from the API server on every request until a job
    /// cache is attached with [`Ctx::with_job_cache`].
    pub fn new(client: Client, namespace: impl Into<String>) -> Self {
        Self {
            client,
            namespace: namespace.into(),
            training_metrics: TrainingServiceMetrics::default(),
            jobs: None,
        }
    }

    /// Use these (registered) training-service metrics.
    pub fn with_training_metrics(mut self, metrics: TrainingServiceMetrics) -> Self {
        self.training_metrics = metrics;
        self
    }

    /// Start watching the namespace's TrainingJobs on the current tokio runtime and
    /// serve `GET /training` from memory. A dashboard polling the table then costs no
    /// API-server list per request (a list of 5,000 jobs carries every pod template).
    pub fn with_job_cache(self) -> Self {
        let api: Api<TrainingJob> = Api::namespaced(self.client.clone(), &self.namespace);
        let (store, writer) = reflector::store();
        // The table reads names, spec bounds and status only.
        let stream = watcher(api, watcher::Config::default())
            .modify(crate::cache::slim_job)
            .default_backoff()
            .reflect(writer)
            .applied_objects();
        tokio::spawn(async move {
            // Errors are retried with backoff by the stream itself; items are only
            // needed for their effect on the store.
            stream
                .for_each(|event| async move {
                    if let Err(e) = event {
                        tracing::warn!(error = %e, "TrainingJob watch for GET /training failed; retrying");
                    }
                })
                .await;
        });
        let ready = CacheReady::of(&store);
        Self {
            jobs: Some((store, ready)),
            ..self
        }
    }

    /// Resolves once the job cache holds the namespace's jobs (at once without a
    /// cache), e.g. before a process reports ready.
    pub async fn job_cache_ready(&self) {
        if let Some((_, ready)) = &self.jobs {
            // False only when the watch task ended: the API server answers then, so
            // there is nothing to wait for.
            ready.wait().await;
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    fn jobs_api(&self) -> Api<TrainingJob> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    /// The table rows of the namespace's jobs (of one GPU type if given) as of `now`.
    async fn rows(
        &self,
        gpu_type: Option<&str>,
        now: Timestamp,
    ) -> Result<Vec<table::Row>, ApiError> {
        // The store may be a controller's cluster-wide one: keep to our namespace.
        let wanted = |j: &TrainingJob| {
            j.metadata.namespace.as_deref() == Some(self.namespace.as_str())
                && gpu_type.is_none_or(|g| j.spec.gpu_type == g)
        };
        if let Some((store, ready)) = &self.jobs {
            // Not waited for: until the first list has filled the cache (or if the
            // watch cannot start), the API server answers instead.
            if ready.is_ready() {
                return Ok(store
                    .state()
                    .iter()
                    .filter(|j| wanted(j))
                    .map(|j| table::Row::of(j, now))
                    .collect());
            }
            tracing::debug!("TrainingJob cache not ready yet; listing from the API server");
        }
        let mut params = ListParams::default();
        if let Some(g) = gpu_type {
            // spec.gpuType is a selectable field of the CRD, so the API server filters.
            params = params.fields(&format!("spec.gpuType={g}"));
        }
        let list = self
            .jobs_api()
            .list(&params)
            .await
            .map_err(|e| ApiError::from_kube(e, "list training jobs"))?;
        Ok(list
            .items
            .iter()
            .filter(|j| wanted(j))
            .map(|j| table::Row::of(j, now))
            .collect())
    }
}

/// [`serve`] on a listener already bound (e.g. to port 0 in tests and benchmarks).
pub async fn serve_on<F>(
    listener: TcpListener,
    router: axum::Router,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    tracing::info!(addr = ?listener.local_addr().ok(), "compatibility API listening");
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}
