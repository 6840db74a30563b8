//! The routers end to end in memory, with an API server that cannot be reached: every
//! bad input must be refused with its 4xx before the shim tries to talk to it (a
//! request that got as far as the API server would come back 503), which is what
//! "bad input changes nothing" means. What needs the API server is in e2e/.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::{Ctx, MAX_BODY_BYTES, scheduler_router, training_service_router};

const LEGACY: &str = include_str!("../../examples/legacy/tensorflow2-keras-mnist-elastic.yaml");

fn ctx() -> Ctx {
    // Port 9 (discard) on loopback: nothing answers there, and nothing is sent unless
    // a handler gets past validation.
    let config = kube::Config::new("http://127.0.0.1:9".parse().expect("uri"));
    let client = kube::Client::try_from(config).expect("client");
    Ctx::new(client, "voda-scheduler")
}

async fn call(
    router: axum::Router,
    method: &str,
    path: &str,
    body: Vec<u8>,
) -> (StatusCode, String, Option<String>) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        // What curl --data sends, whatever the body is: it must not matter.
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("request");
    let resp = router.oneshot(req).await.expect("infallible");
    let status = resp.status();
    let allow = resp
        .headers()
        .get(header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned(), allow)
}

/// Router, method, path, body, expected status, what the reply says.
type Case<'a> = (
    &'a axum::Router,
    &'a str,
    &'a str,
    Vec<u8>,
    StatusCode,
    &'a str,
);

#[tokio::test]
async fn bad_inputs_are_refused_before_the_api_server_is_asked() {
    let manager = training_service_router(ctx());
    let scheduler = scheduler_router(ctx(), "nvidia-gtx-1080ti");
    let oversize = {
        let mut b = LEGACY.as_bytes().to_vec();
        b.extend(std::iter::repeat_n(b'#', MAX_BODY_BYTES));
        b
    };
    let cases: Vec<Case> = vec![
        (
            &manager,
            "POST",
            "/training",
            b"kind: [".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed YAML",
        ),
        (
            &manager,
            "POST",
            "/training",
            LEGACY
                .replace("kind: MPIJob", "kind: Deployment")
                .into_bytes(),
            StatusCode::BAD_REQUEST,
            "neither MPIJob nor TrainingJob",
        ),
        (
            &manager,
            "POST",
            "/training",
            LEGACY
                .replace("vodascheduler/accelerator: nvidia-gtx-1080ti", "other: x")
                .into_bytes(),
            StatusCode::BAD_REQUEST,
            "no GPU type",
        ),
        (
            &manager,
            "POST",
            "/training",
            LEGACY
                .replace(
                    "{name: MAX_NP, value: \"8\"}",
                    "{name: MAX_NP, value: \"0\"}",
                )
                .into_bytes(),
            StatusCode::BAD_REQUEST,
            "MAX_NP is 0",
        ),
        (
            &manager,
            "POST",
            "/training",
            LEGACY
                .replace(
                    "name: tensorflow2-keras-mnist-elastic\n",
                    "name: tensorflow2-keras-mnist-elastic-with-a-longer-name\n",
                )
                .into_bytes(),
            StatusCode::BAD_REQUEST,
            "is too long",
        ),
        (
            &manager,
            "POST",
            "/training",
            oversize,
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than 1048576 bytes",
        ),
        (
            &manager,
            "POST",
            "/training",
            b"\"/etc/passwd\"".to_vec(),
            StatusCode::BAD_REQUEST,
            "reads no files",
        ),
        (
            &manager,
            "POST",
            "/training",
            LEGACY
                .replace("namespace: voda-scheduler", "namespace: kube-system")
                .into_bytes(),
            StatusCode::BAD_REQUEST,
            "namespace",
        ),
        (
            &manager,
            "DELETE",
            "/training",
            b"\"unterminated".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed JSON string",
        ),
        (
            &manager,
            "DELETE",
            "/training",
            b"../secret".to_vec(),
            StatusCode::BAD_REQUEST,
            "not a valid job name",
        ),
        (
            &scheduler,
            "PUT",
            "/algorithm",
            b"\"Lottery\"".to_vec(),
            StatusCode::BAD_REQUEST,
            "valid algorithms are: FIFO, ElasticFIFO",
        ),
        (
            &scheduler,
            "PUT",
            "/algorithm",
            b"ElasticFIFO".to_vec(),
            StatusCode::BAD_REQUEST,
            "as a JSON string",
        ),
        (
            &scheduler,
            "PUT",
            "/ratelimit",
            b"-1".to_vec(),
            StatusCode::BAD_REQUEST,
            "negative",
        ),
        (
            &scheduler,
            "PUT",
            "/ratelimit",
            b"2.5".to_vec(),
            StatusCode::BAD_REQUEST,
            "not a whole number",
        ),
        (
            &manager,
            "PATCH",
            "/training",
            vec![],
            StatusCode::METHOD_NOT_ALLOWED,
            "use GET, POST, DELETE",
        ),
        (
            &scheduler,
            "DELETE",
            "/training",
            vec![],
            StatusCode::METHOD_NOT_ALLOWED,
            "use GET",
        ),
        (
            &scheduler,
            "POST",
            "/ratelimit",
            vec![],
            StatusCode::METHOD_NOT_ALLOWED,
            "use PUT",
        ),
        (
            &scheduler,
            "GET",
            "/nothing",
            vec![],
            StatusCode::NOT_FOUND,
            "no endpoint /nothing",
        ),
    ];
    for (router, method, path, body, want, says) in cases {
        let (status, text, allow) = call(router.clone(), method, path, body).await;
        assert_eq!(status, want, "{method} {path}: {text}");
        assert!(text.contains(says), "{method} {path}: {text:?}");
        assert!(
            text.ends_with('\n') && text.trim_end().lines().count() == 1,
            "{text:?}"
        );
        if status == StatusCode::METHOD_NOT_ALLOWED {
            assert!(allow.is_some(), "405 carries Allow");
        }
    }
}

#[tokio::test]
async fn a_good_request_does_reach_for_the_api_server() {
    // The control for the test above: valid input gets past validation, and with no
    // API server the reply says so (503), one line.
    let (status, text, _) = call(
        training_service_router(ctx()),
        "POST",
        "/training",
        LEGACY.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{text}");
    assert!(
        text.contains("cannot reach the Kubernetes API server"),
        "{text}"
    );
    assert_eq!(text.trim_end().lines().count(), 1);
}

#[tokio::test]
async fn exactly_one_mebibyte_is_read() {
    let body = vec![b' '; MAX_BODY_BYTES];
    let read = super::http::read_body(Body::from(body)).await;
    assert_eq!(read.map(|b| b.len()), Ok(MAX_BODY_BYTES));
    let read = super::http::read_body(Body::from(vec![b' '; MAX_BODY_BYTES + 1])).await;
    assert_eq!(
        read.map_err(|e| e.status),
        Err(StatusCode::PAYLOAD_TOO_LARGE)
    );
}
