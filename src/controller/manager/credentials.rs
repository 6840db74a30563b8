//! The manager keeps one progress credential Secret per unfinished TrainingJob
//! (`workload::credential`): created with a fresh token when missing, its URL kept in
//! step with `--progress-url`, replaced when it belongs to an earlier job of the same
//! name. The token itself never changes, so a running launcher keeps reporting.

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::reflector::ObjectRef;
use kube::{Api, ResourceExt};
use serde_json::json;

use super::{Ctx, Error, FIELD_MANAGER};
use crate::crd::TrainingJob;
use crate::workload::credential::{self, URL_KEY};

/// Make sure `job` has its credential, as the Secret cache sees it.
pub async fn ensure(ctx: &Ctx, job: &TrainingJob) -> Result<(), Error> {
    let (Some(ns), name) = (job.namespace(), job.name_any()) else {
        return Ok(());
    };
    let secret_name = credential::secret_name(&name);
    let url = credential::report_url(&ctx.progress_base_url, &ns, &name);
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), &ns);
    let cached = ctx
        .secrets
        .get(&ObjectRef::<Secret>::new(&secret_name).within(&ns));
    if let Some(secret) = cached {
        if !credential::belongs_to(&secret, job) {
            // A same-named earlier job's, not yet garbage-collected: its token must
            // not work for this job. Deleting it re-triggers this reconcile.
            tracing::info!(job = %name, "replacing the progress credential of an earlier job of the same name");
            api.delete(&secret_name, &DeleteParams::default()).await?;
            return Ok(());
        }
        if credential::value(&secret, URL_KEY) != Some(url.as_str()) {
            let patch = json!({"data": {URL_KEY: ByteString(url.into_bytes())}});
            api.patch(&secret_name, &PatchParams::default(), &Patch::Merge(&patch))
                .await?;
        }
        return Ok(());
    }
    let token = credential::new_token().map_err(|e| Error::Random(e.to_string()))?;
    let Some(secret) = credential::secret_for(job, &token, &url) else {
        return Ok(());
    };
    let pp = PostParams {
        dry_run: false,
        field_manager: Some(FIELD_MANAGER.to_owned()),
    };
    match api.create(&pp, &secret).await {
        Ok(_) => {
            tracing::info!(job = %name, namespace = %ns, "progress credential created");
            Ok(())
        }
        // Created since the cache was read (e.g. by a previous leader): its watch
        // event brings the job back here.
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
        Err(e) => Err(e.into()),
    }
}
