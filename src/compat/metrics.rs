//! The training service's metric families (DESIGN §9), under the old names so existing
//! dashboards keep working. The old Summaries are Histograms of the same name: the
//! `_sum` and `_count` series dashboards use are the same, and histograms can be
//! aggregated across replicas where summaries could not.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

/// Labels of `voda_scheduler_training_service_info`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InfoLabels {
    version: String,
    namespace: String,
}

/// Handles to the training service's metrics. Cloning shares the same series.
#[derive(Clone, Debug)]
pub struct TrainingServiceMetrics {
    pub jobs_created: Counter,
    pub jobs_deleted: Counter,
    /// Every `POST /training`, whatever its outcome.
    pub create_job_duration: Histogram,
    /// `POST /training` requests that created a job.
    pub create_job_success_duration: Histogram,
    /// Every `DELETE /training`, whatever its outcome.
    pub delete_job_duration: Histogram,
    /// `DELETE /training` requests that deleted a job.
    pub delete_job_success_duration: Histogram,
}

/// 5 ms … ~10 s: a create or delete is one API-server round trip, normally a few ms,
/// seconds only when the API server struggles.
fn request_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.005, 2.0, 12))
}

impl Default for TrainingServiceMetrics {
    /// Metrics that count but are not exported (e.g. in tests, or a process that does
    /// not serve the training endpoints).
    fn default() -> Self {
        Self {
            jobs_created: Counter::default(),
            jobs_deleted: Counter::default(),
            create_job_duration: request_buckets(),
            create_job_success_duration: request_buckets(),
            delete_job_duration: request_buckets(),
            delete_job_success_duration: request_buckets(),
        }
    }
}

impl TrainingServiceMetrics {
    /// Creates the families and registers them into `registry` (the process's one
    /// registry, which `GET /metrics` on port 55587 encodes).
    ///
    /// Names are given in full and without a unit so the encoded names are exactly the
    /// old ones: prometheus-client appends `_total` to counters and `_info` to infos.
    pub fn register(registry: &mut Registry, namespace: &str) -> Self {
        let m = Self::default();
        registry.register(
            "voda_scheduler_training_service",
            "Voda scheduler training service (compatibility shim) information",
            Info::new(InfoLabels {
                version: env!("CARGO_PKG_VERSION").to_owned(),
                namespace: namespace.to_owned(),
            }),
        );
        registry.register(
            "voda_scheduler_training_service_jobs_created",
            "Training jobs created through POST /training",
            m.jobs_created.clone(),
        );
        registry.register(
            "voda_scheduler_training_service_jobs_deleted",
            "Training jobs deleted through DELETE /training",
            m.jobs_deleted.clone(),
        );
        registry.register(
            "voda_scheduler_training_service_create_job_duration_seconds",
            "Duration of POST /training requests in seconds, whatever their outcome",
            m.create_job_duration.clone(),
        );
        registry.register(
            "voda_scheduler_training_service_create_job_success_duration_seconds",
            "Duration of POST /training requests that created a job, in seconds",
            m.create_job_success_duration.clone(),
        );
        registry.register(
            "voda_scheduler_training_service_delete_job_duration_seconds",
            "Duration of DELETE /training requests in seconds, whatever their outcome",
            m.delete_job_duration.clone(),
        );
        registry.register(
            "voda_scheduler_training_service_delete_job_success_duration_seconds",
            "Duration of DELETE /training requests that deleted a job, in seconds",
            m.delete_job_success_duration.clone(),
        );
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_family_is_exported_under_its_old_name() {
        let mut registry = Registry::default();
        let m = TrainingServiceMetrics::register(&mut registry, "voda-scheduler");
        m.jobs_created.inc();
        m.create_job_duration.observe(0.01);
        m.create_job_success_duration.observe(0.01);
        let text = crate::metrics::encode(&registry);
        for series in [
            "voda_scheduler_training_service_info{version=\"",
            "namespace=\"voda-scheduler\"} 1",
            "voda_scheduler_training_service_jobs_created_total 1",
            "voda_scheduler_training_service_jobs_deleted_total 0",
            "voda_scheduler_training_service_create_job_duration_seconds_sum 0.01",
            "voda_scheduler_training_service_create_job_duration_seconds_count 1",
            "voda_scheduler_training_service_create_job_success_duration_seconds_count 1",
            "voda_scheduler_training_service_delete_job_duration_seconds_count 0",
            "voda_scheduler_training_service_delete_job_success_duration_seconds_count 0",
            "# TYPE voda_scheduler_training_service_create_job_duration_seconds histogram",
        ] {
            assert!(text.contains(series), "missing {series:?} in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
    }
}
