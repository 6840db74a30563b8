//! Category profiles: a new job starts from what its category learned, and a finished
//! job's measurements go into its category (`crd::category_profile`).

use kube::api::PostParams;
use kube::runtime::reflector::ObjectRef;
use kube::{Api, ResourceExt};

use super::{Ctx, Error, FIELD_MANAGER};
use crate::controller::profiles;
use crate::core::profile;
use crate::crd::category_profile::{RECENT_JOBS, object_name};
use crate::crd::{CategoryProfile, CategoryProfileSpec, JobProfile, TrainingJob};

/// The cached CategoryProfile of `job`'s category and GPU type, if any.
pub fn category_of(ctx: &Ctx, job: &TrainingJob) -> Option<std::sync::Arc<CategoryProfile>> {
    let ns = job.namespace()?;
    let name = object_name(&job.spec.gpu_type, &job.category());
    ctx.categories
        .get(&ObjectRef::<CategoryProfile>::new(&name).within(&ns))
}

/// Give a job that has no profile yet its category's, if the category learned any.
pub async fn start_from_category(ctx: &Ctx, job: &TrainingJob) -> Result<(), Error> {
    let has_profile = job.status.as_ref().is_some_and(|s| s.profile.is_some());
    if has_profile {
        return Ok(());
    }
    let Some(cat) = category_of(ctx, job) else {
        return Ok(());
    };
    if cat.spec.measurements.is_empty() {
        return Ok(());
    }
    let start = profiles::starting_profile(job, &cat.spec.measurements);
    profiles::apply(&ctx.client, job, &start).await?;
    tracing::info!(job = %job.name_any(), category = %cat.spec.category, remaining = start.remaining_seconds, "job starts from its category's profile");
    Ok(())
}

/// Fold a finished job's own measurements into its CategoryProfile (once), then mark
/// the job as learned.
pub async fn learn_from_finished(ctx: &Ctx, job: &TrainingJob) -> Result<(), Error> {
    let Some(p) = job.status.as_ref().and_then(|s| s.profile.as_ref()) else {
        return Ok(());
    };
    if p.learned_into_category || p.measured.is_empty() {
        return Ok(());
    }

    let (Some(ns), Some(uid)) = (job.namespace(), job.uid()) else {
        return Ok(());
    };
    let category = job.category();
    let name = object_name(&job.spec.gpu_type, &category);
    let api: Api<CategoryProfile> = Api::namespaced(ctx.client.clone(), &ns);
    // Read from the API server, not the cache: the update below is conditional on
    // this resourceVersion, and a stale cache would only make it conflict.
    match api.get_opt(&name).await? {
        None => {
            let obj = CategoryProfile::new(
                &name,
                CategoryProfileSpec {
                    category: category.clone(),
                    gpu_type: job.spec.gpu_type.clone(),
                    jobs: 1,
                    measurements: profile::merge_into_category(&[], &p.measured),
                    recent_jobs: vec![uid],
                },
            );
            let pp = PostParams {
                dry_run: false,
                field_manager: Some(FIELD_MANAGER.to_owned()),
            };
            api.create(&pp, &obj).await?;
        }
        Some(mut obj) if !obj.spec.recent_jobs.contains(&uid) => {
            let spec = &mut obj.spec;
            spec.measurements = profile::merge_into_category(&spec.measurements, &p.measured);
            spec.jobs = spec.jobs.saturating_add(1);
            spec.recent_jobs.push(uid);
            let excess = spec.recent_jobs.len().saturating_sub(RECENT_JOBS);
            spec.recent_jobs.drain(..excess);
            // replace() sends the resourceVersion read above: a concurrent update
            // makes this a 409 and the reconcile is retried on fresh data.
            let pp = PostParams {
                dry_run: false,
                field_manager: Some(FIELD_MANAGER.to_owned()),
            };
            api.replace(&name, &pp, &obj).await?;
        }
        Some(_) => {} // learned already; only the mark on the job is missing
    }
    let learned = JobProfile {
        learned_into_category: true,
        ..p.clone()
    };
    profiles::apply(&ctx.client, job, &learned).await?;
    tracing::info!(job = %job.name_any(), %category, "category profile learned from the finished job");
    Ok(())
}
