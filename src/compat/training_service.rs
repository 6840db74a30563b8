//! Port 55587, the old training service: create, delete and list jobs.

use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::Timestamp;
use kube::api::{DeleteParams, PostParams};

use super::http::{self, ApiError, body_text, excerpt, read_body, text};
use super::{Ctx, FIELD_MANAGER, naming, submission, table};
use crate::workload::labels::{MPI_JOB_NAME, MPI_JOB_ROLE};

const ENDPOINTS: &str = "POST /training, DELETE /training, GET /training, POST /training/{namespace}/{name}/progress, GET /metrics";

/// The routes of the manager's port 55587, to be merged into the process's router
/// (`server::ops_router`, which serves `GET /metrics`).
pub fn training_service_router(ctx: Ctx) -> Router {
    Router::new()
        .route(
            "/training",
            get(list)
                .post(create)
                .delete(delete)
                .fallback(|m: Method, u: Uri| async move {
                    http::method_not_allowed("GET, POST, DELETE", &m, &u)
                }),
        )
        .fallback(|u: Uri| async move { http::not_found(ENDPOINTS, &u) })
        .with_state(ctx)
}

/// `POST /training`: the YAML of an MPIJob or TrainingJob → a new TrainingJob.
async fn create(State(ctx): State<Ctx>, body: Body) -> Response {
    let started = Instant::now();
    let result = create_job(&ctx, body).await;
    let seconds = started.elapsed().as_secs_f64();
    let m = &ctx.training_metrics;
    m.create_job_duration.observe(seconds);
    match result {
        Ok(name) => {
            m.jobs_created.inc();
            m.create_job_success_duration.observe(seconds);
            tracing::info!(job = %name, namespace = %ctx.namespace, "training job created");
            text(created_reply(&name, &ctx.namespace))
        }
        Err(e) => e.into_response(),
    }
}

/// The old service's reply, with a log command that works for the v2beta1 MPIJob: the
/// launcher is a batch Job whose pod carries the operator's job-name and job-role
/// labels (mpi-operator `defaultLabels`), so `-l` finds it whatever its pod suffix.
pub fn created_reply(name: &str, namespace: &str) -> String {
    format!(
        "Training job created: {name}\nView your logs by:\n    kubectl logs -f -n {namespace} -l {MPI_JOB_NAME}={name},{MPI_JOB_ROLE}=launcher\n"
    )
}

async fn create_job(ctx: &Ctx, body: Body) -> Result<String, ApiError> {
    let body = read_body(body).await?;
    let job = submission::parse(&body)
        .and_then(|s| s.into_training_job(&ctx.namespace, Timestamp::now()))
        .map_err(ApiError::bad_request)?;
    let name = job.metadata.name.clone().unwrap_or_default();
    let params = PostParams {
        dry_run: false,
        field_manager: Some(FIELD_MANAGER.to_owned()),
    };
    match ctx.jobs_api().create(&params, &job).await {
        Ok(_) => Ok(name),
        Err(kube::Error::Api(s)) if s.code == 409 => Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "a training job named {name} already exists: jobs with the same name posted within one second get the same name; post it again"
            ),
        )),
        Err(kube::Error::Api(s)) if s.code == 404 => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "cannot create the job: {} (does namespace {} exist, and is the TrainingJob CRD installed?)",
                s.message, ctx.namespace
            ),
        )),
        Err(e) => Err(ApiError::from_kube(e, "create the training job")),
    }
}

/// `DELETE /training`: a job name as a JSON string (or bare) → the job is deleted.
async fn delete(State(ctx): State<Ctx>, body: Body) -> Response {
    let started = Instant::now();
    let result = delete_job(&ctx, body).await;
    let seconds = started.elapsed().as_secs_f64();
    let m = &ctx.training_metrics;
    m.delete_job_duration.observe(seconds);
    match result {
        Ok(name) => {
            m.jobs_deleted.inc();
            m.delete_job_success_duration.observe(seconds);
            tracing::info!(job = %name, namespace = %ctx.namespace, "training job deleted");
            text(format!("Training job deleted: {name}"))
        }
        Err(e) => e.into_response(),
    }
}

async fn delete_job(ctx: &Ctx, body: Body) -> Result<String, ApiError> {
    let body = read_body(body).await?;
    let name = parse_job_name(body_text(&body)?)?;
    // Background propagation: the MPIJob (owned by the TrainingJob) and its pods go
    // too, freeing the GPUs, without the reply waiting for them.
    match ctx
        .jobs_api()
        .delete(&name, &DeleteParams::background())
        .await
    {
        Ok(_) => Ok(name),
        Err(kube::Error::Api(s)) if s.code == 404 => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "no training job named {name} in namespace {}",
                ctx.namespace
            ),
        )),
        Err(e) => Err(ApiError::from_kube(e, "delete the training job")),
    }
}

/// The body of `DELETE /training`: `"name"` (JSON, as documented) or a bare `name`.
pub fn parse_job_name(body: &str) -> Result<String, ApiError> {
    const HOW: &str = "send the job name as a JSON string, e.g. \"my-job-20221019-045648\"";
    if body.is_empty() {
        return Err(ApiError::bad_request(format!("empty body: {HOW}")));
    }
    let name = if body.starts_with('"') {
        serde_json::from_str::<String>(body).map_err(|e| {
            ApiError::bad_request(format!(
                "malformed JSON string: {e}; the body was {}",
                excerpt(body)
            ))
        })?
    } else if body.starts_with(['{', '[']) {
        return Err(ApiError::bad_request(format!(
            "the body is a JSON {}, not a job name: {HOW}",
            if body.starts_with('{') {
                "object"
            } else {
                "array"
            }
        )));
    } else {
        body.to_owned()
    };
    if !naming::is_dns_subdomain(&name) {
        return Err(ApiError::bad_request(format!(
            "{:?} is not a valid job name (lower-case letters, digits, '-' and '.'): {HOW}",
            excerpt(&name)
        )));
    }
    Ok(name)
}

/// `GET /training` on the manager: every job of the namespace.
async fn list(State(ctx): State<Ctx>) -> Response {
    let now = Timestamp::now();
    match ctx.rows(None, now).await {
        Ok(rows) => text(table::render(rows)),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_json_or_bare() {
        assert_eq!(
            parse_job_name("\"tensorflow2-keras-mnist-elastic-20221019-045648\"").ok(),
            Some("tensorflow2-keras-mnist-elastic-20221019-045648".to_owned())
        );
        assert_eq!(parse_job_name("job-1").ok(), Some("job-1".to_owned()));
        // JSON escapes are decoded before the name is checked.
        assert_eq!(
            parse_job_name("\"job\\u002d1\"").ok(),
            Some("job-1".to_owned())
        );
    }

    #[test]
    fn bad_job_names() {
        for (body, says) in [
            ("", "empty body"),
            ("\"job", "malformed JSON string"),
            ("\"job\" trailing", "malformed JSON string"),
            ("{\"name\": \"job\"}", "JSON object"),
            ("[\"job\"]", "JSON array"),
            ("\"\"", "not a valid job name"),
            ("Job", "not a valid job name"),
            ("job one", "not a valid job name"),
            ("../../etc/passwd", "not a valid job name"),
            ("\"a/b\"", "not a valid job name"),
        ] {
            let err = parse_job_name(body).expect_err(body);
            assert_eq!(err.status, StatusCode::BAD_REQUEST, "{body}");
            assert!(err.message.contains(says), "{body}: {}", err.message);
            assert!(!err.message.contains('\n'));
        }
    }

    #[test]
    fn created_reply_names_the_job_and_its_launcher_logs() {
        assert_eq!(
            created_reply("mnist-20221019-045648", "voda-scheduler"),
            "Training job created: mnist-20221019-045648\nView your logs by:\n    kubectl logs -f -n voda-scheduler -l training.kubeflow.org/job-name=mnist-20221019-045648,training.kubeflow.org/job-role=launcher\n"
        );
    }
}
