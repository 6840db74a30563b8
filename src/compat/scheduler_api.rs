//! Port 55588, one per GPU type, the old scheduler: its jobs, and its algorithm and
//! rate limit, which now live in the SchedulerPolicy named after the GPU type.

use std::str::FromStr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use jiff::Timestamp;
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::{Value, json};

use super::http::{self, ApiError, body_text, excerpt, read_body, text};
use super::{Ctx, FIELD_MANAGER, table};
use crate::core::algorithms::Algorithm;
use crate::crd::SchedulerPolicy;

const ENDPOINTS: &str = "GET /training, PUT /algorithm, PUT /ratelimit, GET /metrics";
/// The CRD's ceiling for `rateLimitSeconds` (one day).
pub const MAX_RATE_LIMIT_SECONDS: u32 = 86_400;
/// Times a policy update is retried when the policy changed between read and write
/// (the scheduler writes its status after every reschedule).
const APPLY_ATTEMPTS: usize = 5;

#[derive(Clone)]
struct SchedulerState {
    ctx: Ctx,
    gpu_type: Arc<str>,
}

/// The routes of the scheduler of `gpu_type` (its port 55588), to be merged into the
/// process's router (`server::ops_router`, which serves `GET /metrics` with the
/// scheduler's and the allocator's families).
pub fn scheduler_router(ctx: Ctx, gpu_type: impl Into<String>) -> Router {
    let state = SchedulerState {
        ctx,
        gpu_type: Arc::from(gpu_type.into()),
    };
    Router::new()
        .route(
            "/training",
            get(list).fallback(|m: Method, u: Uri| async move {
                http::method_not_allowed("GET", &m, &u)
            }),
        )
        .route(
            "/algorithm",
            put(set_algorithm).fallback(|m: Method, u: Uri| async move {
                http::method_not_allowed("PUT", &m, &u)
            }),
        )
        .route(
            "/ratelimit",
            put(set_rate_limit).fallback(|m: Method, u: Uri| async move {
                http::method_not_allowed("PUT", &m, &u)
            }),
        )
        .fallback(|u: Uri| async move { http::not_found(ENDPOINTS, &u) })
        .with_state(state)
}

/// `GET /training`: this GPU type's jobs.
async fn list(State(s): State<SchedulerState>) -> Response {
    match s.ctx.rows(Some(&s.gpu_type), Timestamp::now()).await {
        Ok(rows) => text(table::render(rows)),
        Err(e) => e.into_response(),
    }
}

/// `PUT /algorithm`: a JSON string naming one of the algorithms.
async fn set_algorithm(State(s): State<SchedulerState>, body: Body) -> Response {
    let result = async {
        let body = read_body(body).await?;
        let algorithm = parse_algorithm(body_text(&body)?)?;
        apply_policy(&s, json!({ "algorithm": algorithm.as_str() })).await?;
        Ok::<_, ApiError>(algorithm)
    }
    .await;
    match result {
        Ok(algorithm) => {
            tracing::info!(gpu_type = %s.gpu_type, %algorithm, "scheduling algorithm set");
            text(format!(
                "Scheduler: {}\nScheduling Algorithm: {algorithm}",
                s.gpu_type
            ))
        }
        Err(e) => e.into_response(),
    }
}

/// `PUT /ratelimit`: whole seconds between reschedules.
async fn set_rate_limit(State(s): State<SchedulerState>, body: Body) -> Response {
    let result = async {
        let body = read_body(body).await?;
        let seconds = parse_rate_limit(body_text(&body)?)?;
        apply_policy(&s, json!({ "rateLimitSeconds": seconds })).await?;
        Ok::<_, ApiError>(seconds)
    }
    .await;
    match result {
        Ok(seconds) => {
            tracing::info!(gpu_type = %s.gpu_type, seconds, "rescheduling rate limit set");
            text(format!(
                "Scheduler: {}\nRe-scheduling ratelimit (sec): {seconds}",
                s.gpu_type
            ))
        }
        Err(e) => e.into_response(),
    }
}

/// The body of `PUT /algorithm`: a JSON string such as `"ElasticFIFO"`.
pub fn parse_algorithm(body: &str) -> Result<Algorithm, ApiError> {
    let name: String = serde_json::from_str(body).map_err(|e| {
        if body.starts_with('"') {
            ApiError::bad_request(format!(
                "malformed JSON string: {e}; the body was {}",
                excerpt(body)
            ))
        } else {
            ApiError::bad_request(format!(
                "the body must be an algorithm name as a JSON string, e.g. \"ElasticFIFO\"; got {}",
                excerpt(body)
            ))
        }
    })?;
    Algorithm::from_str(&name).map_err(ApiError::bad_request)
}

/// The body of `PUT /ratelimit`: whole seconds, 0 … one day.
pub fn parse_rate_limit(body: &str) -> Result<u32, ApiError> {
    let err = |why: &str| {
        ApiError::bad_request(format!(
            "the rate limit must be a whole number of seconds between 0 and {MAX_RATE_LIMIT_SECONDS}, e.g. 30; {why}"
        ))
    };
    if body.is_empty() {
        return Err(err("the body is empty"));
    }
    // Parsed as JSON so that what the old API took (a JSON number) is what is taken.
    let value: Value =
        serde_json::from_str(body).map_err(|_| err(&format!("got {:?}", excerpt(body))))?;
    let Value::Number(n) = value else {
        return Err(err(&format!("got {}", excerpt(body))));
    };
    if let Some(v) = n.as_u64() {
        u32::try_from(v)
            .ok()
            .filter(|&v| v <= MAX_RATE_LIMIT_SECONDS)
            .ok_or_else(|| err(&format!("{v} is too large")))
    } else if n.as_i64().is_some() {
        Err(err(&format!("{n} is negative")))
    } else {
        // Not an integer literal: a fraction, an exponent, or past 64 bits.
        let f = n.as_f64().unwrap_or(f64::NAN);
        if f < 0.0 {
            Err(err(&format!("{body} is negative")))
        } else if f.fract() != 0.0 {
            Err(err(&format!("{body} is not a whole number")))
        } else if f > f64::from(MAX_RATE_LIMIT_SECONDS) {
            Err(err(&format!("{} is too large", excerpt(body))))
        } else {
            Err(err(&format!("write {body} as a plain integer")))
        }
    }
}

/// Sets `spec` fields of this GPU type's SchedulerPolicy by server-side apply, owning
/// just those fields. The policy must exist already: a scheduler's policy is created by
/// its operator with all its knobs, not conjured by a `curl` with one of them.
async fn apply_policy(s: &SchedulerState, spec: Value) -> Result<(), ApiError> {
    let api: Api<SchedulerPolicy> = Api::all(s.ctx.client.clone());
    let name: &str = &s.gpu_type;
    let params = PatchParams::apply(FIELD_MANAGER).force();
    for attempt in 1..=APPLY_ATTEMPTS {
        let current = api
            .get_opt(name)
            .await
            .map_err(|e| ApiError::from_kube(e, "read the SchedulerPolicy"))?;
        let Some(current) = current else {
            return Err(no_policy(name));
        };
        // The resourceVersion makes the apply conditional on the object read above:
        // an apply would otherwise create the policy if it was deleted in between.
        let patch = json!({
            "apiVersion": "vodascheduler.io/v1alpha1",
            "kind": "SchedulerPolicy",
            "metadata": { "name": name, "resourceVersion": current.metadata.resource_version },
            "spec": spec,
        });
        match api.patch(name, &params, &Patch::Apply(&patch)).await {
            Ok(_) => return Ok(()),
            Err(kube::Error::Api(st)) if st.code == 409 && attempt < APPLY_ATTEMPTS => {
                tracing::debug!(
                    policy = name,
                    attempt,
                    "SchedulerPolicy changed while applying; retrying"
                );
            }
            Err(kube::Error::Api(st)) if st.code == 404 => return Err(no_policy(name)),
            Err(e) => return Err(ApiError::from_kube(e, "update the SchedulerPolicy")),
        }
    }
    Err(ApiError::new(
        StatusCode::CONFLICT,
        format!("SchedulerPolicy {name} kept changing while it was being updated; try again"),
    ))
}

fn no_policy(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!(
            "no SchedulerPolicy named {name}: create it first (e.g. kubectl apply -f examples/policy-{name}.yaml); nothing was changed"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithms_by_their_documented_names() {
        for a in Algorithm::ALL {
            assert_eq!(parse_algorithm(&format!("\"{a}\"")), Ok(a));
        }
        assert_eq!(parse_algorithm("\"AFS-L\""), Ok(Algorithm::AfsL));
    }

    #[test]
    fn bad_algorithms() {
        let err = parse_algorithm("\"Lottery\"").expect_err("unknown");
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert!(
            err.message.contains(
                "FIFO, ElasticFIFO, SRJF, ElasticSRJF, Tiresias, ElasticTiresias, FfDLOptimizer, AFS-L"
            ),
            "{}",
            err.message
        );
        for (body, says) in [
            ("\"ElasticFIFO", "malformed JSON string"),
            ("ElasticFIFO", "as a JSON string"),
            ("30", "as a JSON string"),
            ("", "as a JSON string"),
            ("\"elasticfifo\"", "unknown algorithm"),
        ] {
            let err = parse_algorithm(body).expect_err(body);
            assert!(err.message.contains(says), "{body}: {}", err.message);
        }
    }

    #[test]
    fn rate_limits() {
        assert_eq!(parse_rate_limit("30"), Ok(30));
        assert_eq!(parse_rate_limit("0"), Ok(0));
        assert_eq!(parse_rate_limit("86400"), Ok(86_400));
        for (body, says) in [
            ("-5", "-5 is negative"),
            ("1.5", "1.5 is not a whole number"),
            ("1e2", "write 1e2 as a plain integer"),
            ("-1.5", "-1.5 is negative"),
            ("thirty", "got \"thirty\""),
            ("\"30\"", "got \"30\""),
            ("", "empty"),
            ("86401", "86401 is too large"),
            ("99999999999999999999", "is too large"),
        ] {
            let err = parse_rate_limit(body).expect_err(body);
            assert_eq!(err.status, StatusCode::BAD_REQUEST);
            assert!(err.message.contains(says), "{body}: {}", err.message);
        }
    }
}
