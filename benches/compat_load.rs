//! Load figures of the compatibility shim (BENCHMARKS.md, "Compatibility shim") on a
//! real API server: `POST /training` throughput while creating 5,000 jobs through the
//! shim, then `GET /training` latency and requests per second with those 5,000 jobs,
//! listing from the API server per request and from the watch cache.
//!
//! `VODA_E2E_KUBECONFIG=<kubeconfig> cargo bench --bench compat_load`; knobs:
//! `COMPAT_BENCH_JOBS` (5000), `COMPAT_BENCH_POST_CONCURRENCY` (8),
//! `COMPAT_BENCH_GETS` (200 from the cache, a quarter of that per mode listing from the
//! API server), `COMPAT_BENCH_GET_CONCURRENCY` (4). Everything runs on loopback, and the
//! bench deletes its namespace's jobs when done. Without a kubeconfig it says so and
//! exits 0, so `cargo test --all-targets` and `cargo bench` pass without a cluster.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use k8s_openapi::api::core::v1::Namespace;
use kube::Client;
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use prometheus_client::registry::Registry;
use tokio::sync::{oneshot, watch};
use voda_scheduler::compat::{self, Ctx, TrainingServiceMetrics};
use voda_scheduler::crd::TrainingJob;

const LEGACY: &str = include_str!("../examples/legacy/tensorflow2-keras-mnist-elastic.yaml");
const GPU: &str = "nvidia-gtx-1080ti";

type Http = HttpClient<HttpConnector, Full<Bytes>>;

mod support;
use support::{client, env_usize, main_on_cluster};

fn main() -> Result<()> {
    main_on_cluster("compat_load", run)
}

async fn run(kubeconfig: std::path::PathBuf) -> Result<()> {
    let jobs = env_usize("COMPAT_BENCH_JOBS", 5000);
    let post_conc = env_usize("COMPAT_BENCH_POST_CONCURRENCY", 8).max(1);
    let gets = env_usize("COMPAT_BENCH_GETS", 200).max(4);
    let get_conc = env_usize("COMPAT_BENCH_GET_CONCURRENCY", 4).max(1);

    let client = client(&kubeconfig).await?;
    let ns = format!("compat-bench-{}", std::process::id());
    let ns_obj: Namespace = serde_json::from_value(serde_json::json!({"metadata": {"name": ns}}))?;
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns_obj)
        .await
        .context("creating the bench namespace")?;
    let result = bench(&client, &ns, jobs, post_conc, gets, get_conc).await;
    // Jobs first: a namespace is only emptied by a controller manager, which a bare
    // API server may not run.
    let api = Api::<TrainingJob>::namespaced(client.clone(), &ns);
    let _ = api
        .delete_collection(&DeleteParams::background(), &ListParams::default())
        .await;
    let _ = Api::<Namespace>::all(client.clone())
        .delete(&ns, &DeleteParams::background())
        .await;
    result
}

async fn bench(
    client: &Client,
    ns: &str,
    jobs: usize,
    post_conc: usize,
    gets: usize,
    get_conc: usize,
) -> Result<()> {
    let http: Http = HttpClient::builder(TokioExecutor::new()).build_http();

    let mut registry = Registry::default();
    let metrics = TrainingServiceMetrics::register(&mut registry, ns);
    let registry = Arc::new(std::sync::RwLock::new(registry));
    let (_, ready) = watch::channel(true);
    // Composed as the manager process composes it: ops router (/metrics) + compat routes.
    let with_ops = |routes: axum::Router| {
        voda_scheduler::server::ops_router(voda_scheduler::server::Ops {
            registry: registry.clone(),
            ready: ready.clone(),
        })
        .merge(routes)
    };
    let live = Ctx::new(client.clone(), ns).with_training_metrics(metrics);
    let cached = Ctx::new(client.clone(), ns).with_job_cache();
    cached.job_cache_ready().await;
    let (manager, _s1) = serve(with_ops(compat::training_service_router(live.clone()))).await?;
    let (manager_cached, _s2) =
        serve(with_ops(compat::training_service_router(cached.clone()))).await?;
    let (scheduler, _s3) = serve(with_ops(compat::scheduler_router(live, GPU))).await?;
    let (scheduler_cached, _s4) = serve(with_ops(compat::scheduler_router(cached, GPU))).await?;

    println!("compat_load: {jobs} jobs, namespace {ns}");

    // POST /training: every job through the shim, `post_conc` at a time. Distinct base
    // names, because jobs of one name posted within a second would get one name.
    let bodies: Vec<String> = (0..jobs)
        .map(|i| {
            LEGACY
                .replace(
                    "name: tensorflow2-keras-mnist-elastic\n",
                    &format!("name: bench-{i:05}\n"),
                )
                .replace("  namespace: voda-scheduler\n", "")
        })
        .collect();
    let url = format!("http://{manager}/training");
    let started = Instant::now();
    let latencies = load(&http, "POST", &url, bodies, post_conc).await?;
    let wall = started.elapsed();
    report("POST /training", &latencies, wall, post_conc);

    // GET /training with all the jobs in the table.
    let cases = [
        (
            "GET /training (manager, API list per request)",
            manager,
            gets / 4,
        ),
        (
            "GET /training (scheduler, API list per request)",
            scheduler,
            gets / 4,
        ),
        ("GET /training (manager, watch cache)", manager_cached, gets),
        (
            "GET /training (scheduler, watch cache)",
            scheduler_cached,
            gets,
        ),
    ];
    for (what, addr, n) in cases {
        let url = format!("http://{addr}/training");
        // Warm up, and check the table really has every job (the cache fills by watch).
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (_, body) = request(&http, "GET", &url, None).await?;
            let rows = body.lines().count().saturating_sub(1);
            if rows == jobs {
                break;
            }
            if Instant::now() > deadline {
                bail!("{what}: {rows} rows, want {jobs}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        for conc in [1, get_conc] {
            let started = Instant::now();
            let latencies = load(&http, "GET", &url, vec![String::new(); n], conc).await?;
            report(what, &latencies, started.elapsed(), conc);
        }
    }
    Ok(())
}

async fn serve(router: axum::Router) -> Result<(SocketAddr, oneshot::Sender<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = compat::serve_on(listener, router, async {
            let _ = rx.await;
        })
        .await;
    });
    Ok((addr, tx))
}

async fn request(
    http: &Http,
    method: &str,
    url: &str,
    body: Option<String>,
) -> Result<(u16, String)> {
    let req = hyper::Request::builder()
        .method(method)
        .uri(url)
        .body(Full::new(Bytes::from(body.unwrap_or_default())))?;
    let resp = http.request(req).await?;
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
}

/// Sends one request per body, `conc` in flight; the latency of each.
async fn load(
    http: &Http,
    method: &str,
    url: &str,
    bodies: Vec<String>,
    conc: usize,
) -> Result<Vec<Duration>> {
    let queue = Arc::new(tokio::sync::Mutex::new(bodies.into_iter()));
    let mut workers = Vec::new();
    for _ in 0..conc {
        let (queue, http, url, method) = (
            queue.clone(),
            http.clone(),
            url.to_owned(),
            method.to_owned(),
        );
        workers.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let Some(body) = queue.lock().await.next() else {
                    break;
                };
                let body = (!body.is_empty()).then_some(body);
                let t = Instant::now();
                let (status, reply) = request(&http, &method, &url, body).await?;
                out.push(t.elapsed());
                if status != 200 {
                    bail!("{method} {url}: {status} {reply}");
                }
            }
            Ok::<_, anyhow::Error>(out)
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await??);
    }
    Ok(all)
}

fn report(what: &str, latencies: &[Duration], wall: Duration, conc: usize) {
    let mut ms: Vec<f64> = latencies.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        let i = ((ms.len() as f64 * p).ceil() as usize).clamp(1, ms.len().max(1)) - 1;
        ms.get(i).copied().unwrap_or(f64::NAN)
    };
    let rate = latencies.len() as f64 / wall.as_secs_f64();
    println!(
        "| {what} | {conc} | {} | {:.1} | {:.1} | {:.1} |",
        latencies.len(),
        pct(0.50),
        pct(0.99),
        rate
    );
}
