//! `POST /training/{namespace}/{name}/progress` on the manager's port: a training job
//! reports the epochs it finished, and its `status.profile` learns from them
//! (DESIGN §7; the route and replies are documented in the README).
//!
//! Only the job itself may report: the request must carry
//! `Authorization: Bearer <token>` with the token of the job's credential Secret
//! (`workload::credential`), which only its launcher is given. Order of checks, each
//! refusing before anything is written: 401 no bearer token; 413 body over 1 MiB; 404
//! no such job; 403 not this job's token; 409 the job has finished; 400 a body that is
//! not a report; 422 a report impossible for the job. Then the profile is applied
//! (retried on a conflict).

mod body;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::{Api, Client};
use serde_json::json;

use super::http::{self, ApiError, read_body};
use crate::controller::profiles;
use crate::core::profile;
use crate::crd::TrainingJob;
use crate::workload::credential::{self, TOKEN_KEY};

/// How often a report is recomputed when the job changed under it (another report,
/// a status write of the scheduler) before giving up with 409.
const APPLY_ATTEMPTS: usize = 5;

/// The progress route, to be merged into the manager's router. It works in every
/// namespace: the token, not the namespace, says who may write.
pub fn progress_router(client: Client) -> Router {
    Router::new()
        .route(
            "/training/{namespace}/{name}/progress",
            post(report).fallback(|m: Method, u: Uri| async move {
                http::method_not_allowed("POST", &m, &u)
            }),
        )
        .with_state(client)
}

async fn report(
    State(client): State<Client>,
    Path((namespace, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match accept(&client, &namespace, &name, &headers, body).await {
        Ok(reply) => (StatusCode::OK, axum::Json(reply)).into_response(),
        Err(e) => {
            let unauthorized = e.status == StatusCode::UNAUTHORIZED;
            let mut resp = e.into_response();
            if unauthorized {
                resp.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer realm=\"voda-scheduler progress\""),
                );
            }
            resp
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

async fn accept(
    client: &Client,
    namespace: &str,
    name: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<serde_json::Value, ApiError> {
    let Some(token) = bearer(headers) else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "progress reports need the job's token: Authorization: Bearer $VODA_PROGRESS_TOKEN",
        ));
    };
    let body = read_body(body).await?;
    let jobs: Api<TrainingJob> = Api::namespaced(client.clone(), namespace);
    let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no training job {namespace}/{name}"),
        )
    };
    let mut last_conflict = None;
    for _ in 0..APPLY_ATTEMPTS {
        let job = jobs
            .get_opt(name)
            .await
            .map_err(|e| ApiError::from_kube(e, "read the training job"))?
            .ok_or_else(not_found)?;
        let secret = secrets
            .get_opt(&credential::secret_name(name))
            .await
            .map_err(|e| ApiError::from_kube(e, "read the job's progress credential"))?;
        let authentic = secret.as_ref().is_some_and(|s| {
            credential::belongs_to(s, &job)
                && credential::token_matches(token, credential::value(s, TOKEN_KEY).unwrap_or(""))
        });
        if !authentic {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("the token is not the progress token of training job {namespace}/{name}"),
            ));
        }
        let phase = job.status.as_ref().map(|s| s.phase).unwrap_or_default();
        if phase.is_finished() {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                format!(
                    "training job {namespace}/{name} has finished ({phase:?}); its profile no longer changes"
                ),
            ));
        }
        let text = std::str::from_utf8(&body)
            .map_err(|_| ApiError::bad_request("the body is not UTF-8 text"))?;
        let reports = body::parse(text).map_err(ApiError::bad_request)?;
        let limits = profiles::limits(&job);
        for (i, r) in reports.iter().enumerate() {
            profile::check(r, &limits).map_err(|e| {
                let which = if reports.len() > 1 {
                    format!("report {}: ", i + 1)
                } else {
                    String::new()
                };
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("{which}{e}"))
            })?;
        }
        let now = Time(k8s_openapi::jiff::Timestamp::now());
        let updated = profiles::with_reports(&job, &reports, now);
        match profiles::apply(client, &job, &updated).await {
            Ok(()) => {
                tracing::info!(job = %name, %namespace, epoch = ?updated.current_epoch, remaining = updated.remaining_seconds, "progress reported");
                return Ok(json!({
                    "job": format!("{namespace}/{name}"),
                    "accepted": reports.len(),
                    "currentEpoch": updated.current_epoch,
                    "remainingSeconds": updated.remaining_seconds,
                    "epochSeconds": updated.epoch_seconds,
                    "speedup": updated.speedup,
                }));
            }
            Err(kube::Error::Api(s)) if s.code == 409 => last_conflict = Some(s.message),
            Err(e) => return Err(ApiError::from_kube(e, "write the job's profile")),
        }
    }
    Err(ApiError::new(
        StatusCode::CONFLICT,
        format!(
            "training job {namespace}/{name} kept changing while the report was applied; send it again ({})",
            last_conflict.unwrap_or_default()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bearer_tokens_are_read() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, v.parse().unwrap());
            h
        };
        assert_eq!(bearer(&with("Bearer abc")), Some("abc"));
        assert_eq!(bearer(&with("bearer  abc ")), Some("abc"));
        assert_eq!(bearer(&with("Basic abc")), None);
        assert_eq!(bearer(&with("Bearer ")), None);
        assert_eq!(bearer(&HeaderMap::new()), None);
    }
}
