//! The documented HTTP API (DESIGN §8) on the real control plane: the routers run
//! in-process on free loopback ports, and the seed's own `curl` lines
//! (shared/seed-api-endpoints.md) run with the real `curl` binary, addresses changed
//! to those ports and nothing else.
//!
//! Self-contained (own small harness) so it depends on nothing in e2e.rs but the
//! `mod compat;` line. Every test makes its own namespace and GPU type, so it touches
//! no SchedulerPolicy another test relies on.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use prometheus_client::registry::Registry;
use serde_json::json;
use tokio::sync::{oneshot, watch};
use voda_scheduler::compat::{self, Ctx, TrainingServiceMetrics};
use voda_scheduler::core::accounting::{AccountingSnapshot, Clock};
use voda_scheduler::core::algorithms::Algorithm;
use voda_scheduler::crd::{SchedulerPolicy, TrainingJob};
use voda_scheduler::metrics::{AllocatorMetrics, SchedulerMetrics};
use voda_scheduler::server::{Ops, ops_router};

// The seed's curl lines, verbatim (shared/seed-api-endpoints.md).
const SEED_MANAGER: &str = "10.100.86.93:55587";
const SEED_SCHEDULER: &str = "10.111.11.10:55588";
const SEED_ALLOCATOR: &str = "10.100.86.94:55589";
const SEED_DELETE: &str = r#"curl -X DELETE   '10.100.86.93:55587/training' --data '"tensorflow2-keras-mnist-elastic-20221019-045648"'"#;
const SEED_MANAGER_METRICS: &str = "curl -X GET '10.100.86.93:55587/metrics'";
const SEED_POST_PATH: &str = r#"curl -X POST  '10.100.86.93:55587/training' --data '"examples/yaml/tensorflow2/tensorflow2-keras-mnist-elastic.yaml"'"#;
const SEED_GET_TRAINING: &str = "curl -X GET '10.111.11.10:55588/training'";
const SEED_PUT_ALGORITHM: &str =
    r#"curl -X PUT   '10.111.11.10:55588/algorithm' --data '"ElasticFIFO"'"#;
const SEED_PUT_RATELIMIT: &str = "curl -X PUT   '10.111.11.10:55588/ratelimit' --data 30";
const SEED_SCHEDULER_METRICS: &str = "curl -X GET '10.111.11.10:55588/metrics'";
/// The allocator is a library inside each scheduler now; its families are served on
/// the scheduler's port, so its line is pointed there.
const SEED_ALLOCATOR_METRICS: &str = "curl -X GET '10.100.86.94:55589/metrics'";

const SEED_JOB: &str = "tensorflow2-keras-mnist-elastic-20221019-045648";

// ---- harness -------------------------------------------------------------------

fn repo_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

async fn kube_client() -> Result<Client> {
    let path = match std::env::var_os("VODA_E2E_KUBECONFIG") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => bail!(
            "VODA_E2E_KUBECONFIG is not set: these tests need the local control plane (make e2e)"
        ),
    };
    let kubeconfig =
        Kubeconfig::read_from(&path).with_context(|| format!("reading {}", path.display()))?;
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default()).await?;
    Ok(Client::try_from(config)?)
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() ^ (d.as_secs() as u32).rotate_left(7))
        .unwrap_or_default();
    format!("{prefix}-{:06x}", nanos & 0xff_ffff)
}

async fn ensure_namespace(client: &Client, name: &str) -> Result<()> {
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}}))?;
    match Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
        Err(e) => Err(e).with_context(|| format!("creating namespace {name}")),
    }
}

async fn delete_namespace(client: &Client, name: &str) {
    let _ = Api::<Namespace>::all(client.clone())
        .delete(name, &DeleteParams::background())
        .await;
}

async fn create_policy(client: &Client, gpu: &str, algorithm: &str, rate: u32) -> Result<()> {
    let policy: SchedulerPolicy = serde_json::from_value(json!({
        "apiVersion": "vodascheduler.io/v1alpha1",
        "kind": "SchedulerPolicy",
        "metadata": {"name": gpu},
        "spec": {"algorithm": algorithm, "rateLimitSeconds": rate},
    }))?;
    Api::<SchedulerPolicy>::all(client.clone())
        .create(&PostParams::default(), &policy)
        .await
        .with_context(|| format!("creating SchedulerPolicy {gpu}"))?;
    Ok(())
}

async fn delete_policy(client: &Client, gpu: &str) {
    let _ = Api::<SchedulerPolicy>::all(client.clone())
        .delete(gpu, &DeleteParams::default())
        .await;
}

fn training_job(name: &str, gpu: &str) -> Result<TrainingJob> {
    Ok(serde_json::from_value(json!({
        "apiVersion": "vodascheduler.io/v1alpha1",
        "kind": "TrainingJob",
        "metadata": {"name": name},
        "spec": {
            "gpuType": gpu,
            "workers": {"min": 1, "max": 8},
            "mpiJob": {"slotsPerWorker": 1, "mpiReplicaSpecs": {
                "Launcher": {"template": {"spec": {"containers": [{"name": "l", "image": "horovod/horovod:latest"}]}}},
                "Worker": {"template": {"spec": {"containers": [{"name": "w", "image": "horovod/horovod:latest"}]}}}
            }}
        }
    }))?)
}

/// The in-process shim: the manager's HTTP server and one scheduler's, on loopback,
/// composed as the processes compose them: the process's ops router (`/metrics`,
/// health) merged with the compat routes, one registry per process.
struct Shim {
    manager: SocketAddr,
    scheduler: SocketAddr,
    stop: Vec<oneshot::Sender<()>>,
}

impl Shim {
    async fn start(client: &Client, namespace: &str, gpu: &str, cached: bool) -> Result<Self> {
        let mut manager_registry = Registry::default();
        let metrics = TrainingServiceMetrics::register(&mut manager_registry, namespace);
        let mut manager_ctx = Ctx::new(client.clone(), namespace).with_training_metrics(metrics);
        let mut scheduler_registry = Registry::default();
        SchedulerMetrics::register(&mut scheduler_registry, gpu, Algorithm::ElasticFifo);
        AllocatorMetrics::register(&mut scheduler_registry);
        let mut scheduler_ctx = Ctx::new(client.clone(), namespace);
        if cached {
            manager_ctx = manager_ctx.with_job_cache();
            scheduler_ctx = scheduler_ctx.with_job_cache();
            // Until the caches are filled the API server answers; wait, so that the
            // cached tables are what is tested.
            tokio::time::timeout(Duration::from_secs(30), async {
                manager_ctx.job_cache_ready().await;
                scheduler_ctx.job_cache_ready().await;
            })
            .await
            .context("the job caches did not fill")?;
        }
        let manager_router = with_ops(
            compat::training_service_router(manager_ctx),
            manager_registry,
        );
        let scheduler_router = with_ops(
            compat::scheduler_router(scheduler_ctx, gpu),
            scheduler_registry,
        );
        let (manager, stop_m) = serve(manager_router).await?;
        let (scheduler, stop_s) = serve(scheduler_router).await?;
        Ok(Self {
            manager,
            scheduler,
            stop: vec![stop_m, stop_s],
        })
    }

    /// A seed line with its addresses pointed at this shim.
    fn local(&self, line: &str) -> String {
        line.replace(SEED_MANAGER, &self.manager.to_string())
            .replace(SEED_SCHEDULER, &self.scheduler.to_string())
            .replace(SEED_ALLOCATOR, &self.scheduler.to_string())
    }
}

impl Drop for Shim {
    fn drop(&mut self) {
        for stop in self.stop.drain(..) {
            let _ = stop.send(());
        }
    }
}

fn with_ops(routes: axum::Router, registry: Registry) -> axum::Router {
    // A dropped sender leaves the receiver at its last value: ready.
    let (_, ready) = watch::channel(true);
    ops_router(Ops {
        registry: Arc::new(RwLock::new(registry)),
        ready,
    })
    .merge(routes)
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

/// Runs a shell line (a seed `curl` line) from the repository root; its stdout.
async fn sh(line: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        let out = Command::new("sh")
            .arg("-c")
            .arg(&line)
            .current_dir(repo_dir())
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {line}"))?;
        ensure!(
            out.status.success(),
            "{line}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(String::from_utf8(out.stdout)?)
    })
    .await?
}

/// One request with curl: (HTTP status, body, headers).
async fn curl(method: &str, url: String, body: Option<Vec<u8>>) -> Result<(u16, String, String)> {
    let method = method.to_owned();
    tokio::task::spawn_blocking(move || {
        let headers = tempfile_path("headers");
        let mut cmd = Command::new("curl");
        cmd.args(["-sS", "-X", &method, &url, "-D"])
            .arg(&headers)
            .args(["-w", "\n%{http_code}"]);
        if body.is_some() {
            cmd.args(["--data-binary", "@-"]);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("running curl (apt-get install curl)")?;
        if let (Some(body), Some(mut stdin)) = (body, child.stdin.take()) {
            use std::io::Write;
            // The server may refuse (413) before reading it all; a broken pipe is fine.
            let _ = stdin.write_all(&body);
        }
        let out = child.wait_with_output()?;
        ensure!(
            out.status.success(),
            "curl {method} {url}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout)?;
        let (body, code) = text.rsplit_once('\n').context("curl -w output")?;
        let headers_text = std::fs::read_to_string(&headers).unwrap_or_default();
        let _ = std::fs::remove_file(&headers);
        Ok((code.parse()?, body.to_owned(), headers_text))
    })
    .await?
}

fn tempfile_path(what: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "{}-{}",
        unique(&format!("voda-compat-{what}")),
        std::process::id()
    ))
}

/// Accounting as a scheduler writes it: totals as of `as_of`, the clock running since.
fn accounting(
    as_of: jiff::Timestamp,
    clock: Clock,
    workers: u32,
    waiting: f64,
    running: f64,
) -> Result<serde_json::Value> {
    Ok(serde_json::to_value(AccountingSnapshot {
        as_of: as_of.as_nanosecond() as f64 / 1e9,
        clock,
        workers,
        waiting_seconds: waiting,
        running_seconds: running,
        ..AccountingSnapshot::default()
    })?)
}

async fn jobs_in(client: &Client, namespace: &str) -> Result<Vec<String>> {
    Ok(Api::<TrainingJob>::namespaced(client.clone(), namespace)
        .list(&ListParams::default())
        .await?
        .items
        .into_iter()
        .filter_map(|j| j.metadata.name)
        .collect())
}

// ---- tests -----------------------------------------------------------------------

/// Every curl line of the seed, against the shim, with the replies the issue asks for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn compat_seed_curl_lines() -> Result<()> {
    let client = kube_client().await?;
    let ns = unique("e2e-compat-seed");
    let gpu = unique("compat-gtx");
    ensure_namespace(&client, &ns).await?;
    create_policy(&client, &gpu, "FIFO", 10).await?;
    let result = seed_lines(&client, &ns, &gpu).await;
    delete_policy(&client, &gpu).await;
    delete_namespace(&client, &ns).await;
    result
}

async fn seed_lines(client: &Client, ns: &str, gpu: &str) -> Result<()> {
    let shim = Shim::start(client, ns, gpu, false).await?;
    let jobs = Api::<TrainingJob>::namespaced(client.clone(), ns);
    let policies = Api::<SchedulerPolicy>::all(client.clone());

    // The seed's job, running on one worker for 28 s (status as a scheduler writes it).
    jobs.create(&PostParams::default(), &training_job(SEED_JOB, gpu)?)
        .await?;
    let since = jiff::Timestamp::now() - jiff::SignedDuration::from_millis(27_800);
    jobs.patch_status(
        SEED_JOB,
        &PatchParams::default(),
        &Patch::Merge(json!({"status": {
            "phase": "Running", "workers": 1, "scheduler": gpu,
            "lastTransitionTime": since.to_string(),
            "accounting": accounting(since, Clock::Running, 1, 0.0, 0.0)?,
        }})),
    )
    .await?;

    // GET /training on the scheduler: the seed's table.
    let table = sh(shim.local(SEED_GET_TRAINING)).await?;
    let header = "NAME                                                         STATUS     WORKERS    SCHEDULER            WAITING    RUNNING    TOTAL     \n";
    let row = |t: &str| {
        format!(
            "{SEED_JOB:<60} {:<10} {:<10} {gpu:<20} {:<10} {t:<10} {t:<10}\n",
            "Running", 1, "0s"
        )
    };
    ensure!(
        table == format!("{header}{}", row("28s")) || table == format!("{header}{}", row("29s")),
        "GET /training:\n{table}"
    );

    // PUT /algorithm: two lines, and the policy changed.
    let reply = sh(shim.local(SEED_PUT_ALGORITHM)).await?;
    ensure!(
        reply == format!("Scheduler: {gpu}\nScheduling Algorithm: ElasticFIFO\n"),
        "PUT /algorithm: {reply:?}"
    );
    let policy = policies.get(gpu).await?;
    ensure!(
        policy.spec.algorithm.as_str() == "ElasticFIFO",
        "{policy:?}"
    );

    // PUT /ratelimit.
    let reply = sh(shim.local(SEED_PUT_RATELIMIT)).await?;
    ensure!(
        reply == format!("Scheduler: {gpu}\nRe-scheduling ratelimit (sec): 30\n"),
        "PUT /ratelimit: {reply:?}"
    );
    let policy = policies.get(gpu).await?;
    ensure!(policy.spec.rate_limit_seconds == 30, "{policy:?}");
    // Only the two fields were taken over, by the shim's field manager.
    let managers: Vec<String> = policy
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .filter_map(|f| f.manager.clone())
        .collect();
    ensure!(
        managers.iter().any(|m| m == compat::FIELD_MANAGER),
        "{managers:?}"
    );

    // GET /metrics on the scheduler, and the allocator's line (now served there).
    let scheduler_family = format!("voda_scheduler_{}_scheduler_info{{", gpu.replace('-', "_"));
    for line in [SEED_SCHEDULER_METRICS, SEED_ALLOCATOR_METRICS] {
        let text = sh(shim.local(line)).await?;
        ensure!(text.ends_with("# EOF\n"), "{line}: {text}");
        ensure!(text.contains(&scheduler_family), "{line}: {text}");
        ensure!(
            text.contains("voda_scheduler_resource_allocator_info{"),
            "{line}: {text}"
        );
    }
    let (code, _, headers) =
        curl("GET", format!("http://{}/metrics", shim.scheduler), None).await?;
    ensure!(code == 200, "{code}");
    ensure!(
        headers
            .to_ascii_lowercase()
            .contains("content-type: application/openmetrics-text"),
        "{headers}"
    );

    // DELETE /training with the seed's body.
    let reply = sh(shim.local(SEED_DELETE)).await?;
    ensure!(
        reply == format!("Training job deleted: {SEED_JOB}\n"),
        "DELETE: {reply:?}"
    );
    ensure!(jobs.get_opt(SEED_JOB).await?.is_none(), "the job is gone");

    // GET /metrics on the manager: the training-service families, counting the delete.
    let text = sh(shim.local(SEED_MANAGER_METRICS)).await?;
    for series in [
        "voda_scheduler_training_service_info{",
        "voda_scheduler_training_service_jobs_created_total 0",
        "voda_scheduler_training_service_jobs_deleted_total 1",
        "voda_scheduler_training_service_create_job_duration_seconds_count 0",
        "voda_scheduler_training_service_create_job_success_duration_seconds_count 0",
        "voda_scheduler_training_service_delete_job_duration_seconds_count 1",
        "voda_scheduler_training_service_delete_job_success_duration_seconds_count 1",
    ] {
        ensure!(text.contains(series), "missing {series} in\n{text}");
    }

    // The one POST line of the seed (commented out there): a JSON string holding a
    // path. Refused: the server reads no files for a client.
    let reply = sh(shim.local(SEED_POST_PATH)).await?;
    ensure!(
        reply.contains("the server reads no files for a client"),
        "{reply}"
    );
    ensure!(reply.lines().count() == 1, "{reply}");
    ensure!(jobs_in(client, ns).await?.is_empty(), "nothing created");
    Ok(())
}

/// The old-style MPIJob of shared/legacy/, posted as is (it names namespace
/// voda-scheduler), then the TrainingJob example; listed, then deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn compat_post_list_delete() -> Result<()> {
    let client = kube_client().await?;
    let ns = compat::DEFAULT_NAMESPACE;
    ensure_namespace(&client, ns).await?;
    let shim = Shim::start(&client, ns, "nvidia-gtx-1080ti", false).await?;
    let jobs = Api::<TrainingJob>::namespaced(client.clone(), ns);
    let mut created = Vec::new();
    let result = async {
        for file in [
            "examples/legacy/tensorflow2-keras-mnist-elastic.yaml",
            "examples/tensorflow2-keras-mnist-elastic.yaml",
        ] {
            let line = format!(
                "curl -sS -X POST 'http://{}/training' --data-binary @{file}",
                shim.manager
            );
            let reply = sh(line).await?;
            let mut lines = reply.lines();
            let name = lines
                .next()
                .and_then(|l| l.strip_prefix("Training job created: "))
                .with_context(|| format!("{file}: {reply}"))?
                .to_owned();
            created.push(name.clone());
            ensure!(
                reply
                    == format!(
                        "Training job created: {name}\nView your logs by:\n    kubectl logs -f -n {ns} -l training.kubeflow.org/job-name={name},training.kubeflow.org/job-role=launcher\n"
                    ),
                "{reply}"
            );
            let base = "tensorflow2-keras-mnist-elastic-";
            let stamp = name.strip_prefix(base).context("suffixed")?;
            ensure!(stamp.len() == 15 && stamp.as_bytes()[8] == b'-', "{name}");
            let job = jobs.get(&name).await?;
            ensure!(job.spec.gpu_type == "nvidia-gtx-1080ti");
            ensure!(job.spec.workers.min == 1 && job.spec.workers.max == 8);
            ensure!(job.spec.epochs == Some(150));
            ensure!(job.spec.mpi_job.mpi_replica_specs.worker.replicas.is_none());
            let launcher = job.spec.mpi_job.mpi_replica_specs.launcher.template.spec.clone().context("launcher")?;
            let job_name_env = launcher.containers[0]
                .env
                .iter()
                .flatten()
                .find(|e| e.name == "JOB_NAME")
                .and_then(|e| e.value.clone());
            ensure!(job_name_env.as_deref() == Some(name.as_str()), "{job_name_env:?}");
            let managers: Vec<String> = job.metadata.managed_fields.iter().flatten().filter_map(|f| f.manager.clone()).collect();
            ensure!(managers == [compat::FIELD_MANAGER], "{managers:?}");

            // Listed by the manager (all jobs) and by its scheduler.
            for addr in [shim.manager, shim.scheduler] {
                let table = sh(format!("curl -s 'http://{addr}/training'")).await?;
                ensure!(
                    table.lines().any(|l| l.starts_with(&format!("{name} ")) && l.contains("nvidia-gtx-1080ti")),
                    "{addr}: {table}"
                );
            }

            // Deleted with a bare name, as the old service also accepted.
            let reply = sh(format!(
                "curl -s -X DELETE 'http://{}/training' --data {name}",
                shim.manager
            ))
            .await?;
            ensure!(reply == format!("Training job deleted: {name}\n"), "{reply}");
            ensure!(jobs.get_opt(&name).await?.is_none());
            created.pop();
        }
        let text = sh(format!("curl -s 'http://{}/metrics'", shim.manager)).await?;
        ensure!(text.contains("voda_scheduler_training_service_jobs_created_total 2"), "{text}");
        ensure!(text.contains("voda_scheduler_training_service_jobs_deleted_total 2"), "{text}");
        Ok(())
    }
    .await;
    for name in created {
        let _ = jobs.delete(&name, &DeleteParams::background()).await;
    }
    result
}

/// Each scheduler lists only its GPU type's jobs, the manager all of them, sorted,
/// from the API server or from the watch cache alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn compat_tables_per_scheduler() -> Result<()> {
    let client = kube_client().await?;
    let ns = unique("e2e-compat-tables");
    let (gpu_a, gpu_b) = (unique("compat-a"), unique("compat-b"));
    ensure_namespace(&client, &ns).await?;
    let result = async {
        let jobs = Api::<TrainingJob>::namespaced(client.clone(), &ns);
        for (name, gpu) in [("b-job", &gpu_a), ("a-job", &gpu_a), ("c-job", &gpu_b)] {
            jobs.create(&PostParams::default(), &training_job(name, gpu)?)
                .await?;
        }
        // A finished job's times are frozen.
        jobs.patch_status(
            "a-job",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {
                "phase": "Completed", "workers": 0, "scheduler": gpu_a,
                "lastTransitionTime": "2022-10-19T04:57:53Z",
                "accounting": accounting("2022-10-19T04:57:53Z".parse()?, Clock::Stopped, 0, 5.0, 65.0)?,
            }})),
        )
        .await?;
        for cached in [false, true] {
            let shim = Shim::start(&client, &ns, &gpu_a, cached).await?;
            let manager = sh(format!("curl -s 'http://{}/training'", shim.manager)).await?;
            let names = |t: &str| -> Vec<String> {
                t.lines()
                    .skip(1)
                    .filter_map(|l| l.split(' ').next())
                    .map(str::to_owned)
                    .collect()
            };
            ensure!(
                names(&manager) == ["a-job", "b-job", "c-job"],
                "cached={cached}: {manager}"
            );
            let sched = sh(format!("curl -s 'http://{}/training'", shim.scheduler)).await?;
            ensure!(
                names(&sched) == ["a-job", "b-job"],
                "cached={cached}: {sched}"
            );
            let a = sched.lines().nth(1).unwrap_or_default();
            ensure!(
                a == format!(
                    "{:<60} {:<10} {:<10} {gpu_a:<20} {:<10} {:<10} {:<10}",
                    "a-job", "Completed", 0, "5s", "1m5s", "1m10s"
                ),
                "{a:?}"
            );
            // A job no scheduler picked up yet shows as Submitted under its GPU type.
            let b = sched.lines().nth(2).unwrap_or_default();
            ensure!(
                b.starts_with(&format!(
                    "{:<60} {:<10} {:<10} {gpu_a:<20} ",
                    "b-job", "Submitted", 0
                )),
                "{b:?}"
            );
            // A job created now appears (through the watch, when cached), and goes.
            let late = format!("late-{}", u8::from(cached));
            jobs.create(&PostParams::default(), &training_job(&late, &gpu_a)?)
                .await?;
            let mut seen = false;
            for _ in 0..50 {
                let t = sh(format!("curl -s 'http://{}/training'", shim.scheduler)).await?;
                if t.lines().any(|l| l.starts_with(&format!("{late} "))) {
                    seen = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            ensure!(seen, "cached={cached}: {late} never listed");
            jobs.delete(&late, &DeleteParams::background()).await?;
        }
        Ok(())
    }
    .await;
    delete_namespace(&client, &ns).await;
    result
}

/// The issue's bad inputs: each gets a 4xx and one line, and nothing is created or
/// changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn compat_bad_inputs_change_nothing() -> Result<()> {
    let client = kube_client().await?;
    let ns = unique("e2e-compat-bad");
    let gpu = unique("compat-bad");
    ensure_namespace(&client, &ns).await?;
    create_policy(&client, &gpu, "Tiresias", 10).await?;
    let result = bad_inputs(&client, &ns, &gpu).await;
    delete_policy(&client, &gpu).await;
    delete_namespace(&client, &ns).await;
    result
}

async fn bad_inputs(client: &Client, ns: &str, gpu: &str) -> Result<()> {
    let shim = Shim::start(client, ns, gpu, false).await?;
    let policies = Api::<SchedulerPolicy>::all(client.clone());
    let before = policies.get(gpu).await?;
    let jobs = Api::<TrainingJob>::namespaced(client.clone(), ns);
    jobs.create(&PostParams::default(), &training_job("existing", gpu)?)
        .await?;

    let legacy = std::fs::read_to_string(
        repo_dir().join("examples/legacy/tensorflow2-keras-mnist-elastic.yaml"),
    )?
    .replace("  namespace: voda-scheduler\n", "");
    let tj =
        std::fs::read_to_string(repo_dir().join("examples/tensorflow2-keras-mnist-elastic.yaml"))?
            .replace("  namespace: voda-scheduler\n", "");
    let m = |path: &str| format!("http://{}{path}", shim.manager);
    let s = |path: &str| format!("http://{}{path}", shim.scheduler);
    let big = format!("{legacy}\n# {}\n", "x".repeat(compat::MAX_BODY_BYTES));
    let cases: Vec<(&str, &str, String, String, u16, &str)> = vec![
        ("malformed YAML", "POST", m("/training"), "kind: MPIJob\nspec: [".into(), 400, "malformed YAML"),
        ("a kind that is neither", "POST", m("/training"), legacy.replace("kind: MPIJob", "kind: PyTorchJob"), 400, "neither MPIJob nor TrainingJob"),
        ("no GPU type", "POST", m("/training"), legacy.replace("          nodeSelector:\n            vodascheduler/accelerator: nvidia-gtx-1080ti\n", ""), 400, "no GPU type"),
        ("min > max", "POST", m("/training"), legacy.replace("{name: MIN_NP, value: \"1\"}", "{name: MIN_NP, value: \"9\"}"), 400, "MIN_NP (9) is greater than MAX_NP (8)"),
        ("name too long once suffixed", "POST", m("/training"), legacy.replace("name: tensorflow2-keras-mnist-elastic\n", &format!("name: {}\n", "n".repeat(39))), 400, "is too long"),
        ("body over 1 MiB", "POST", m("/training"), big, 413, "larger than 1048576 bytes"),
        ("a JSON string holding a path", "POST", m("/training"), "\"examples/legacy/tensorflow2-keras-mnist-elastic.yaml\"".into(), 400, "reads no files"),
        ("another namespace", "POST", m("/training"), legacy.replace("metadata:\n", "metadata:\n  namespace: default\n"), 400, "metadata.namespace is \"default\""),
        ("refused by the API server's validation", "POST", m("/training"), tj.replace("slotsPerWorker: 1", "slotsPerWorker: 0"), 422, "slotsPerWorker"),
        ("DELETE of a job that does not exist", "DELETE", m("/training"), "\"no-such-job\"".into(), 404, "no training job named no-such-job"),
        ("DELETE malformed JSON", "DELETE", m("/training"), "\"existing".into(), 400, "malformed JSON string"),
        ("unknown algorithm", "PUT", s("/algorithm"), "\"Lottery\"".into(), 400, "valid algorithms are: FIFO, ElasticFIFO, SRJF, ElasticSRJF, Tiresias, ElasticTiresias, FfDLOptimizer, AFS-L"),
        ("algorithm not JSON", "PUT", s("/algorithm"), "{\"algorithm\"".into(), 400, "as a JSON string"),
        ("negative rate limit", "PUT", s("/ratelimit"), "-5".into(), 400, "-5 is negative"),
        ("non-integer rate limit", "PUT", s("/ratelimit"), "1.5".into(), 400, "1.5 is not a whole number"),
        ("rate limit not a number", "PUT", s("/ratelimit"), "\"30\"".into(), 400, "whole number of seconds"),
        ("wrong method (manager)", "PUT", m("/training"), String::new(), 405, "use GET, POST, DELETE"),
        ("wrong method (scheduler)", "POST", s("/training"), String::new(), 405, "use GET"),
        ("wrong method (algorithm)", "GET", s("/algorithm"), String::new(), 405, "use PUT"),
        // /metrics belongs to the process's ops router, whose 405 has no body.
        ("wrong method (metrics)", "DELETE", m("/metrics"), String::new(), 405, ""),
        ("unknown path", "GET", m("/jobs"), String::new(), 404, "no endpoint /jobs"),
    ];
    let mut failures = Vec::new();
    for (what, method, url, body, want_code, says) in cases {
        let body = (!body.is_empty()).then(|| body.into_bytes());
        let (code, reply, _) = curl(method, url, body).await?;
        eprintln!("{what}: {code} {}", reply.trim_end());
        let one_line = reply.ends_with('\n') && reply.trim_end().lines().count() == 1;
        let text_ok = says.is_empty() || (reply.contains(says) && one_line);
        if code != want_code || !text_ok {
            failures.push(format!(
                "{what}: got {code} {reply:?}, want {want_code} containing {says:?}"
            ));
        }
    }
    // A scheduler whose SchedulerPolicy does not exist changes (and creates) nothing.
    let missing = unique("compat-nopolicy");
    let (addr, _stop) = serve(compat::scheduler_router(
        Ctx::new(client.clone(), ns),
        missing.clone(),
    ))
    .await?;
    for (path, body) in [("/algorithm", "\"FIFO\""), ("/ratelimit", "30")] {
        let (code, reply, _) =
            curl("PUT", format!("http://{addr}{path}"), Some(body.into())).await?;
        if code != 404 || !reply.contains(&format!("no SchedulerPolicy named {missing}")) {
            failures.push(format!("PUT {path} without a policy: {code} {reply:?}"));
        }
    }
    ensure!(
        policies.get_opt(&missing).await?.is_none(),
        "no policy was conjured"
    );
    ensure!(failures.is_empty(), "{}", failures.join("\n"));

    // Nothing created, nothing changed.
    ensure!(
        jobs_in(client, ns).await? == ["existing"],
        "only the job made by the test"
    );
    let after = policies.get(gpu).await?;
    ensure!(after.spec == before.spec, "policy unchanged");
    ensure!(after.metadata.generation == before.metadata.generation);
    Ok(())
}
