//! Prometheus metrics under the family names the old services exported, so existing
//! dashboards keep working. The old Summaries are Histograms of the same name (same
//! `_sum` and `_count` series).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

use crate::core::algorithms::Algorithm;

/// `nvidia-gtx-1080ti` → `nvidia_gtx_1080ti`, as the old metric names spell GPU types.
pub fn metric_gpu_name(gpu_type: &str) -> String {
    gpu_type
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn seconds_histogram() -> Histogram {
    // 100 µs .. ~100 s.
    Histogram::new(exponential_buckets(0.0001, 4.0, 11))
}

fn count_histogram() -> Histogram {
    Histogram::new(exponential_buckets(1.0, 2.0, 12))
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AlgorithmLabel {
    pub algorithm: String,
}

/// `voda_scheduler_<gpu>_scheduler_*`: one set per GPU type.
#[derive(Clone)]
pub struct SchedulerMetrics {
    pub jobs_created: Counter,
    pub jobs_deleted: Counter,
    pub jobs_completed: Counter,
    pub jobs_failed: Counter,
    pub resched: Counter,
    pub resched_duration: Histogram,
    pub resched_allocator_duration: Histogram,
    pub jobs_ready: Gauge,
    pub jobs_waiting: Gauge,
    pub jobs_running: Gauge,
    pub gpus: Gauge,
    pub gpus_inuse: Gauge,
    pub placement_duration: Histogram,
    pub placement_workers_migrated: Histogram,
    pub placement_launchers_deleted: Histogram,
    pub placement_jobs_cross_node: Gauge,
}

impl SchedulerMetrics {
    /// Register the families of the scheduler of `gpu_type` into `registry`.
    pub fn register(registry: &mut Registry, gpu_type: &str, algorithm: Algorithm) -> Self {
        let m = Self {
            jobs_created: Counter::default(),
            jobs_deleted: Counter::default(),
            jobs_completed: Counter::default(),
            jobs_failed: Counter::default(),
            resched: Counter::default(),
            resched_duration: seconds_histogram(),
            resched_allocator_duration: seconds_histogram(),
            jobs_ready: Gauge::default(),
            jobs_waiting: Gauge::default(),
            jobs_running: Gauge::default(),
            gpus: Gauge::default(),
            gpus_inuse: Gauge::default(),
            placement_duration: seconds_histogram(),
            placement_workers_migrated: count_histogram(),
            placement_launchers_deleted: count_histogram(),
            placement_jobs_cross_node: Gauge::default(),
        };
        // Info appends `_info`; registered on the parent so the name reads
        // `voda_scheduler_<gpu>_scheduler_info`.
        let info = Info::new(vec![
            ("gpu_type".to_owned(), gpu_type.to_owned()),
            ("algorithm".to_owned(), algorithm.to_string()),
            ("version".to_owned(), env!("CARGO_PKG_VERSION").to_owned()),
        ]);
        registry.register(
            format!("voda_scheduler_{}_scheduler", metric_gpu_name(gpu_type)),
            "Scheduler of one GPU type",
            info,
        );
        m.register_into(registry, gpu_type);
        m
    }

    fn register_into(&self, registry: &mut Registry, gpu_type: &str) {
        let r = registry.sub_registry_with_prefix(format!(
            "voda_scheduler_{}_scheduler",
            metric_gpu_name(gpu_type)
        ));
        r.register(
            "jobs_created",
            "Training jobs created",
            self.jobs_created.clone(),
        );
        r.register(
            "jobs_deleted",
            "Training jobs deleted",
            self.jobs_deleted.clone(),
        );
        r.register(
            "jobs_completed",
            "Training jobs completed",
            self.jobs_completed.clone(),
        );
        r.register(
            "jobs_failed",
            "Training jobs failed",
            self.jobs_failed.clone(),
        );
        r.register("resched", "Reschedules run", self.resched.clone());
        r.register(
            "resched_duration_seconds",
            "Duration of a reschedule",
            self.resched_duration.clone(),
        );
        r.register(
            "resched_allocator_duration_seconds",
            "Duration of the allocation algorithm in a reschedule",
            self.resched_allocator_duration.clone(),
        );
        r.register(
            "jobs_ready",
            "Jobs waiting or running",
            self.jobs_ready.clone(),
        );
        r.register("jobs_waiting", "Jobs waiting", self.jobs_waiting.clone());
        r.register("jobs_running", "Jobs running", self.jobs_running.clone());
        r.register(
            "gpus",
            "GPUs on ready, schedulable nodes",
            self.gpus.clone(),
        );
        r.register(
            "gpus_inuse",
            "GPUs allocated to jobs",
            self.gpus_inuse.clone(),
        );
        r.register(
            "placement_algorithm_duration_seconds",
            "Duration of the placement algorithm",
            self.placement_duration.clone(),
        );
        r.register(
            "placement_workers_migrated",
            "Workers migrated per placement",
            self.placement_workers_migrated.clone(),
        );
        r.register(
            "placement_launchers_deleted",
            "Launchers deleted per placement",
            self.placement_launchers_deleted.clone(),
        );
        r.register(
            "placement_jobs_cross_node",
            "Jobs whose workers span more than one node",
            self.placement_jobs_cross_node.clone(),
        );
    }
}

/// `voda_scheduler_resource_allocator_*`: the old allocator service's families. The
/// allocator is now a library inside each scheduler, so each scheduler's `/metrics`
/// serves them, labelled with the algorithm that ran.
#[derive(Clone)]
pub struct AllocatorMetrics {
    pub num_ready_jobs: Family<AlgorithmLabel, Gauge>,
    pub num_gpus: Family<AlgorithmLabel, Gauge>,
    pub duration: Family<AlgorithmLabel, Histogram, fn() -> Histogram>,
}

impl AllocatorMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self {
            num_ready_jobs: Family::default(),
            num_gpus: Family::default(),
            duration: Family::new_with_constructor(seconds_histogram),
        };
        registry.register(
            "voda_scheduler_resource_allocator",
            "Resource allocator (the scheduling core)",
            Info::new(vec![(
                "version".to_owned(),
                env!("CARGO_PKG_VERSION").to_owned(),
            )]),
        );
        let r = registry.sub_registry_with_prefix("voda_scheduler_resource_allocator");
        r.register(
            "num_ready_jobs",
            "Ready jobs in the last allocation",
            m.num_ready_jobs.clone(),
        );
        r.register(
            "num_gpus",
            "GPUs in the last allocation",
            m.num_gpus.clone(),
        );
        r.register(
            "scheduling_algorithm_duration_seconds",
            "Duration of the allocation algorithm",
            m.duration.clone(),
        );
        m
    }

    /// Record one run of `algorithm`.
    pub fn observe(&self, algorithm: Algorithm, ready_jobs: usize, gpus: u32, seconds: f64) {
        let label = AlgorithmLabel {
            algorithm: algorithm.to_string(),
        };
        self.num_ready_jobs
            .get_or_create(&label)
            .set(i64::try_from(ready_jobs).unwrap_or(i64::MAX));
        self.num_gpus.get_or_create(&label).set(i64::from(gpus));
        self.duration.get_or_create(&label).observe(seconds);
    }
}

/// Prometheus text exposition of `registry`.
pub fn encode(registry: &Registry) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, registry);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_keep_the_documented_names() {
        let mut registry = Registry::default();
        let s =
            SchedulerMetrics::register(&mut registry, "nvidia-gtx-1080ti", Algorithm::ElasticFifo);
        let a = AllocatorMetrics::register(&mut registry);
        s.jobs_created.inc();
        s.resched_duration.observe(0.01);
        a.observe(Algorithm::ElasticFifo, 3, 8, 0.001);
        let text = encode(&registry);
        for name in [
            "voda_scheduler_nvidia_gtx_1080ti_scheduler_info{",
            "voda_scheduler_nvidia_gtx_1080ti_scheduler_jobs_created_total 1",
            "voda_scheduler_nvidia_gtx_1080ti_scheduler_jobs_deleted_total 0",
            "voda_scheduler_nvidia_gtx_1080ti_scheduler_jobs_completed_total 0",
            "voda_scheduler_nvidia_gtx_1080ti_scheduler_jobs_failed_total 0",
            "voda_scheduler_nvidia_gtx_1080ti_scheduler_resched_total 0",
            "voda_scheduler_nvidia_gtx_1080ti_scheduler_resched_duration_seconds_sum",
            "voda_scheduler_nvidia_gtx_1080ti_scheduler_resched_duration_seconds_count 1",
            "voda_scheduler_nvidia_gtx_1080ti_scheduler_resched_allocator_duration_seconds_count",
            "voda_scheduler_nvidia_gtx_1080ti_scheduler_jobs_ready ",
            "voda_scheduler_nvidia_gtx_1080ti_scheduler_jobs_waiting ",
            "voda_scheduler_nvidia_gtx_1080ti_scheduler_jobs_running ",
            "voda_scheduler_nvidia_gtx_1080ti_scheduler_gpus ",
            "voda_scheduler_nvidia_gtx_1080ti_scheduler_gpus_inuse ",
            "voda_scheduler_nvidia_gtx_1080ti_scheduler_placement_algorithm_duration_seconds_count",
            "voda_scheduler_nvidia_gtx_1080ti_scheduler_placement_workers_migrated_count",
            "voda_scheduler_nvidia_gtx_1080ti_scheduler_placement_launchers_deleted_count",
            "voda_scheduler_nvidia_gtx_1080ti_scheduler_placement_jobs_cross_node ",
            "voda_scheduler_resource_allocator_info{",
            "voda_scheduler_resource_allocator_num_ready_jobs{algorithm=\"ElasticFIFO\"} 3",
            "voda_scheduler_resource_allocator_num_gpus{algorithm=\"ElasticFIFO\"} 8",
            "voda_scheduler_resource_allocator_scheduling_algorithm_duration_seconds_count{algorithm=\"ElasticFIFO\"} 1",
        ] {
            assert!(text.contains(name), "missing {name} in\n{text}");
        }
        assert!(text.contains(
            "# TYPE voda_scheduler_nvidia_gtx_1080ti_scheduler_resched_duration_seconds histogram"
        ));
    }
}
