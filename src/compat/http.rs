//! HTTP plumbing shared by both routers: plain-text replies, one-line errors, the body
//! limit, 404 and 405.

use axum::body::{Body, Bytes};
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::MAX_BODY_BYTES;

const TEXT: &str = "text/plain; charset=utf-8";

/// A 200 reply of plain text; a final newline is added so the shell prompt of a
/// `curl` user starts on its own line.
pub(crate) fn text(body: impl Into<String>) -> Response {
    let mut body = body.into();
    if !body.ends_with('\n') {
        body.push('\n');
    }
    ([(header::CONTENT_TYPE, TEXT)], body).into_response()
}

/// A failed request: a status and one line saying what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl std::fmt::Display) -> Self {
        // One line, whatever the source (the API server's messages and YAML errors
        // may span several), so scripts can `read` it and logs stay one record.
        let message = message
            .to_string()
            .split(['\n', '\r'])
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        Self { status, message }
    }

    pub fn bad_request(message: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// Maps an API-server or transport error of `action` (e.g. "create the job").
    ///
    /// Refusals that are about the request (invalid, conflict, not found) keep their
    /// 4xx so the client learns it was its input; the API server's own trouble and
    /// the shim's missing permissions are not the client's fault and become 5xx.
    pub fn from_kube(err: kube::Error, action: &str) -> Self {
        match err {
            kube::Error::Api(status) => {
                let msg = if status.message.is_empty() {
                    status.reason.clone()
                } else {
                    status.message.clone()
                };
                let code = match status.code {
                    400 | 404 | 409 | 410 | 422 => {
                        StatusCode::from_u16(status.code).unwrap_or(StatusCode::BAD_REQUEST)
                    }
                    401 | 403 => StatusCode::INTERNAL_SERVER_ERROR,
                    429 => StatusCode::SERVICE_UNAVAILABLE,
                    _ => StatusCode::BAD_GATEWAY,
                };
                if code.is_server_error() {
                    tracing::error!(code = status.code, %msg, action, "API server refused");
                    Self::new(code, format!("cannot {action}: the API server said: {msg}"))
                } else {
                    Self::new(code, msg)
                }
            }
            other => {
                tracing::error!(error = %other, action, "API server unreachable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("cannot {action}: cannot reach the Kubernetes API server: {other}"),
                )
            }
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_client_error() {
            tracing::info!(status = self.status.as_u16(), message = %self.message, "request refused");
        }
        (
            self.status,
            [(header::CONTENT_TYPE, TEXT)],
            format!("{}\n", self.message),
        )
            .into_response()
    }
}

/// The request body, refused past [`MAX_BODY_BYTES`] without reading the rest.
///
/// Read by hand rather than through axum's `String`/`Bytes` extractors so the refusal
/// is one line in this API's words, and the client's `Content-Type` is ignored (curl's
/// `--data` sends `application/x-www-form-urlencoded` for YAML and JSON alike).
pub(crate) async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body is larger than {MAX_BODY_BYTES} bytes (1 MiB)"),
        )),
        Err(e) => Err(ApiError::bad_request(format!(
            "cannot read the request body: {e}"
        ))),
    }
}

/// The body as UTF-8 text, trimmed of surrounding whitespace (curl and shells add
/// newlines).
pub(crate) fn body_text(body: &Bytes) -> Result<&str, ApiError> {
    std::str::from_utf8(body)
        .map(str::trim)
        .map_err(|_| ApiError::bad_request("the body is not UTF-8 text"))
}

/// Shortens client input quoted back in an error message.
pub(crate) fn excerpt(s: &str) -> String {
    const MAX: usize = 60;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// The 405 of an endpoint that allows `allow` (e.g. "GET, POST, DELETE").
pub(crate) fn method_not_allowed(allow: &'static str, method: &Method, uri: &Uri) -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(header::ALLOW, allow), (header::CONTENT_TYPE, TEXT)],
        format!(
            "method {method} is not allowed on {}: use {allow}\n",
            uri.path()
        ),
    )
        .into_response()
}

/// The 404 of a path the router does not serve, listing what it serves.
pub(crate) fn not_found(endpoints: &'static str, uri: &Uri) -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, TEXT)],
        format!(
            "no endpoint {}: this service serves {endpoints}\n",
            uri.path()
        ),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line() {
        let e = ApiError::bad_request("first\nsecond\r\n  third\n");
        assert_eq!(e.message, "first second third");
    }

    #[test]
    fn api_server_refusals_keep_their_client_status() {
        let status = |code: u16, message: &str| {
            kube::Error::Api(Box::new(kube::core::Status {
                code,
                message: message.into(),
                ..kube::core::Status::default()
            }))
        };
        let e = ApiError::from_kube(status(422, "spec.workers: Invalid value"), "create");
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.message, "spec.workers: Invalid value");
        let e = ApiError::from_kube(status(403, "forbidden"), "create the job");
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(e.message.starts_with("cannot create the job:"));
        let e = ApiError::from_kube(status(500, "etcd"), "list");
        assert_eq!(e.status, StatusCode::BAD_GATEWAY);
    }

    #[test]
    fn excerpts_are_short() {
        assert_eq!(excerpt("abc"), "abc");
        let long = "x".repeat(100);
        assert_eq!(excerpt(&long).chars().count(), 61);
    }
}
