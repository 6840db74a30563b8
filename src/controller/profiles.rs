//! A TrainingJob's `status.profile`: built from the pure maths of `core::profile` and
//! written with server-side apply under a field manager of its own.
//!
//! Three writers share a TrainingJob's status: the scheduler (phase, workers, times,
//! its condition), the manager's admission (submitTime, its condition) and this one
//! (profile). Each applies only its own fields, always all of them, under its own field
//! manager, so none removes or overwrites another's; and a profile apply carries the
//! resourceVersion it was computed from, so two reports at once cannot lose one.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Patch, PatchParams};
use kube::{Api, Client, ResourceExt};
use serde_json::json;

use crate::core::profile::{self, Limits, Measurement, Report};
use crate::crd::{JobProfile, ProfileSource, TrainingJob};

/// Field manager of `status.profile`.
pub const FIELD_MANAGER: &str = "voda-scheduler-profiles";

/// The report limits of `job`.
pub fn limits(job: &TrainingJob) -> Limits {
    Limits {
        min_workers: job.spec.workers.min,
        max_workers: job.spec.workers.max,
        epochs: job.spec.epochs,
    }
}

/// Recompute the derived fields (tables, remaining time) of `p` for `job`.
fn derive(job: &TrainingJob, mut p: JobProfile) -> JobProfile {
    let points = profile::combine(&p.category_start, &p.measured);
    let tables = profile::tables(&points, job.spec.workers.max);
    p.remaining_seconds = profile::remaining_seconds(
        job.spec.epochs,
        p.current_epoch.unwrap_or(0),
        tables.as_ref(),
    );
    let (epoch_seconds, speedup, efficiency) = match tables {
        Some(t) => (t.epoch_seconds, t.speedup, t.efficiency),
        None => Default::default(),
    };
    p.epoch_seconds = epoch_seconds;
    p.speedup = speedup;
    p.efficiency = efficiency;
    p
}

/// The profile a new job starts with: its category's measurements.
pub fn starting_profile(job: &TrainingJob, category: &[Measurement]) -> JobProfile {
    derive(
        job,
        JobProfile {
            source: ProfileSource::Category,
            category: Some(job.category()),
            category_start: category.to_vec(),
            ..JobProfile::default()
        },
    )
}

/// The profile after `reports` (already checked against [`limits`]) arrived at `now`.
pub fn with_reports(job: &TrainingJob, reports: &[Report], now: Time) -> JobProfile {
    let mut p = job
        .status
        .as_ref()
        .and_then(|s| s.profile.clone())
        .unwrap_or_else(|| JobProfile {
            category: Some(job.category()),
            ..JobProfile::default()
        });
    for r in reports {
        profile::record(&mut p.measured, r);
        p.current_epoch = Some(r.epoch);
        p.reports = p.reports.saturating_add(1);
    }
    p.source = ProfileSource::Measured;
    p.last_report_time = Some(now);
    derive(job, p)
}

/// Apply `profile` as the job's `status.profile`, on condition that the job is still
/// at the resourceVersion it was computed from (else 409 Conflict: recompute).
pub async fn apply(client: &Client, job: &TrainingJob, profile: &JobProfile) -> kube::Result<()> {
    let ns = job.namespace().unwrap_or_default();
    let api: Api<TrainingJob> = Api::namespaced(client.clone(), &ns);
    let mut patch = json!({
        "apiVersion": "vodascheduler.io/v1alpha1",
        "kind": "TrainingJob",
        "metadata": {"name": job.name_any()},
        "status": {"profile": profile},
    });
    if let Some(rv) = job.resource_version() {
        patch["metadata"]["resourceVersion"] = json!(rv);
    }
    api.patch_status(
        &job.name_any(),
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&patch),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(epochs: u32, max: u32) -> TrainingJob {
        let text = include_str!("../../examples/tensorflow2-keras-mnist-elastic.yaml");
        let mut job: TrainingJob = serde_norway::from_str(text).expect("example parses");
        job.spec.epochs = Some(epochs);
        job.spec.workers.max = max;
        job
    }

    fn report(epoch: u32, workers: u32, epoch_seconds: f64) -> Report {
        Report {
            epoch,
            workers,
            epoch_seconds,
            step_seconds: 0.5,
        }
    }

    fn now() -> Time {
        Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn reports_fill_the_profile() {
        let j = job(10, 4);
        let p = with_reports(&j, &[report(1, 2, 50.0), report(2, 2, 50.0)], now());
        assert_eq!(p.source, ProfileSource::Measured);
        assert_eq!(
            p.category.as_deref(),
            Some("tensorflow2-keras-mnist-elastic")
        );
        assert_eq!(p.current_epoch, Some(2));
        assert_eq!(p.reports, 2);
        assert_eq!(p.measured.len(), 1);
        assert_eq!(p.epoch_seconds[1], 100.0);
        assert_eq!(p.speedup.len(), 5);
        assert_eq!(p.remaining_seconds, 800.0);
    }

    #[test]
    fn a_new_job_starts_from_its_category_and_its_own_reports_win() {
        let mut j = job(20, 4);
        let category = [Measurement {
            workers: 1,
            epoch_seconds: 90.0,
            step_seconds: 0.9,
            samples: 40,
        }];
        let start = starting_profile(&j, &category);
        assert_eq!(start.source, ProfileSource::Category);
        assert_eq!(start.remaining_seconds, 1800.0);
        assert_eq!(start.speedup, vec![0.0, 1.0, 2.0, 3.0, 4.0]);
        j.status = Some(crate::crd::TrainingJobStatus {
            profile: Some(start),
            ..Default::default()
        });
        // The job measures 1 worker at 100 s: its own number wins over the category's.
        let p = with_reports(&j, &[report(5, 1, 100.0)], now());
        assert_eq!(p.category_start, category.to_vec());
        assert_eq!(p.remaining_seconds, 1500.0);
    }

    #[test]
    fn without_epochs_the_remaining_time_is_unknown() {
        let mut j = job(10, 4);
        j.spec.epochs = None;
        let p = with_reports(&j, &[report(3, 2, 50.0)], now());
        assert_eq!(p.remaining_seconds, 0.0);
        assert_eq!(p.epoch_seconds[1], 100.0);
    }
}
