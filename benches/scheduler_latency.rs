//! The live scheduler on the real control plane (BENCHMARKS.md, "Live scheduler"):
//! 1. time from a TrainingJob's creation to its MPIJob's existence, p50 and p99, with
//!    `SCHED_BENCH_JOBS` (500) one-worker jobs submitted at once on enough fake GPUs and
//!    `rateLimitSeconds: 0`;
//! 2. the scheduler's resident memory with `SCHED_BENCH_IDLE_JOBS` (5,000) TrainingJobs.
//!
//! `VODA_E2E_KUBECONFIG=<kubeconfig> cargo bench --bench scheduler_latency`. It runs the
//! release binary of this build as the scheduler, on its own GPU type, namespace and
//! kwok nodes, and deletes them when done. Without a kubeconfig it says so and exits 0.
//!
//! `SCHED_BENCH_FLOOR=1` measures the floor instead: in place of the scheduler, a
//! controller with no logic at all (in this process) creates each TrainingJob's
//! MPIJob the moment its watch sees the job. What that takes is what the control
//! plane, not the scheduler, costs on this machine.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures::{StreamExt, TryStreamExt, stream};
use k8s_openapi::api::core::v1::{Namespace, Node};
use kube::Client;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::json;
use voda_scheduler::crd::{SchedulerPolicy, TrainingJob};
use voda_scheduler::workload::mpijob::MPIJob;

mod support;
use support::{client, env_usize, main_on_cluster};

fn main() -> Result<()> {
    main_on_cluster("scheduler_latency", run)
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn job(name: &str, ns: &str, gpu: &str) -> Result<TrainingJob> {
    Ok(serde_json::from_value(json!({
        "apiVersion": "vodascheduler.io/v1alpha1",
        "kind": "TrainingJob",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "gpuType": gpu,
            "workers": {"min": 1, "max": 1},
            "mpiJob": {"mpiReplicaSpecs": {
                "Launcher": {"template": {"spec": {"containers": [{"name": "l", "image": "x"}]}}},
                "Worker": {"template": {"spec": {"containers": [{
                    "name": "w", "image": "x", "resources": {"limits": {"nvidia.com/gpu": 1}}
                }]}}}
            }}
        }
    }))?)
}

/// Create jobs `range` (32 in flight); each with the moment its create returned.
async fn create_jobs(
    api: &Api<TrainingJob>,
    ns: &str,
    gpu: &str,
    range: std::ops::Range<usize>,
) -> Result<Vec<(String, Instant)>> {
    stream::iter(range)
        .map(|i| async move {
            let name = format!("job-{i:05}");
            api.create(&PostParams::default(), &job(&name, ns, gpu)?)
                .await?;
            Ok::<_, anyhow::Error>((name, Instant::now()))
        })
        .buffer_unordered(32)
        .try_collect()
        .await
}

async fn run(kubeconfig: std::path::PathBuf) -> Result<()> {
    let jobs = env_usize("SCHED_BENCH_JOBS", 500);
    let idle_jobs = env_usize("SCHED_BENCH_IDLE_JOBS", 5000);
    let client = client(&kubeconfig).await?;
    let tag = std::process::id();
    let ns = format!("sched-bench-{tag}");
    let gpu = format!("sched-bench-{tag}");
    let nss: Api<Namespace> = Api::all(client.clone());
    nss.create(
        &PostParams::default(),
        &serde_json::from_value(json!({"metadata": {"name": ns}}))?,
    )
    .await?;
    let result = bench(&client, &kubeconfig, &ns, &gpu, jobs, idle_jobs).await;
    let nodes: Api<Node> = Api::all(client.clone());
    let lp = ListParams::default().labels(&format!("vodascheduler/accelerator={gpu}"));
    let _ = nodes.delete_collection(&DeleteParams::default(), &lp).await;
    let _ = Api::<SchedulerPolicy>::all(client.clone())
        .delete(&gpu, &DeleteParams::default())
        .await;
    let _ = nss.delete(&ns, &DeleteParams::default()).await;
    // Thousands of objects are garbage-collected after this; a run started before
    // they are gone competes with that clean-up (seen as +1 s on the p99).
    let deadline = Instant::now() + Duration::from_secs(600);
    while nss.get_opt(&ns).await?.is_some() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    result
}

async fn bench(
    client: &Client,
    kubeconfig: &std::path::Path,
    ns: &str,
    gpu: &str,
    jobs: usize,
    idle_jobs: usize,
) -> Result<()> {
    // Enough 8-GPU kwok nodes for every job to start at once.
    let nodes: Api<Node> = Api::all(client.clone());
    for i in 0..jobs.div_ceil(8) {
        let r = json!({"cpu": "64", "memory": "512Gi", "pods": "110", "nvidia.com/gpu": "8"});
        let node: Node = serde_json::from_value(json!({
            "metadata": {"name": format!("{gpu}-{i}"),
                "annotations": {"kwok.x-k8s.io/node": "fake"},
                "labels": {"type": "kwok", "vodascheduler/accelerator": gpu}},
            "status": {"allocatable": r, "capacity": r}
        }))?;
        nodes.create(&PostParams::default(), &node).await?;
    }
    let policies: Api<SchedulerPolicy> = Api::all(client.clone());
    policies
        .patch(
            gpu,
            &PatchParams::apply("bench").force(),
            &Patch::Apply(json!({
                "apiVersion": "vodascheduler.io/v1alpha1", "kind": "SchedulerPolicy",
                "metadata": {"name": gpu},
                "spec": {"algorithm": "FIFO", "rateLimitSeconds": 0}
            })),
        )
        .await?;

    if std::env::var_os("SCHED_BENCH_FLOOR").is_some() {
        let echo = tokio::spawn(echo_controller(client.clone(), ns.to_owned()));
        let r = measure(client, ns, gpu, jobs).await;
        echo.abort();
        return r.map(|line| println!("floor (no scheduler): {line}"));
    }

    let log = std::env::temp_dir().join(format!("sched-bench-{gpu}.log"));
    let child = Command::new(env!("CARGO_BIN_EXE_voda-scheduler"))
        .args(["scheduler", "--gpu-type", gpu, "--namespace", ns])
        .args(["--lease-namespace", ns, "--listen", "127.0.0.1:0"])
        .env("KUBECONFIG", kubeconfig)
        .env(
            "RUST_LOG",
            std::env::var("SCHED_BENCH_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log)?)
        .spawn()
        .context("starting the scheduler")?;
    let scheduler = Killed(child);
    let pid = scheduler.0.id();
    // Let it win its lease and sync its caches.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let line = measure(client, ns, gpu, jobs).await?;
    println!("{line}");

    // Resident memory with many (waiting) TrainingJobs: more jobs than GPUs.
    let api: Api<TrainingJob> = Api::namespaced(client.clone(), ns);
    let extra = idle_jobs.saturating_sub(jobs);
    create_jobs(&api, ns, gpu, jobs..jobs + extra).await?;
    // Wait until the scheduler has taken them all in (its policy status counts them).
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let p = policies.get(gpu).await?;
        let s = p.status.unwrap_or_default();
        if (s.jobs_waiting + s.jobs_running) as usize >= jobs + extra {
            break;
        }
        if Instant::now() > deadline {
            bail!(
                "the scheduler did not take in {} jobs within 600 s",
                jobs + extra
            );
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .unwrap_or("VmRSS: ?")
        .to_owned();
    println!("scheduler with {} TrainingJobs: {rss}", jobs + extra);
    let _ = api
        .delete_collection(&DeleteParams::default(), &ListParams::default())
        .await;
    Ok(())
}

/// Submit `jobs` TrainingJobs at once and time each one's creation → its MPIJob
/// appearing (p50, p99, max).
async fn measure(client: &Client, ns: &str, gpu: &str, jobs: usize) -> Result<String> {
    // MPIJob first-seen times, from a watch started before any job exists.
    let seen: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let seen_w = seen.clone();
    let mpijobs: Api<MPIJob> = Api::namespaced(client.clone(), ns);
    let watch = tokio::spawn(async move {
        let mut s = watcher(mpijobs, watcher::Config::default())
            .applied_objects()
            .boxed();
        while let Ok(Some(m)) = s.try_next().await {
            if let (Some(name), Ok(mut seen)) = (m.metadata.name, seen_w.lock()) {
                seen.entry(name).or_insert_with(Instant::now);
            }
        }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;

    let api: Api<TrainingJob> = Api::namespaced(client.clone(), ns);
    let created = create_jobs(&api, ns, gpu, 0..jobs).await?;
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let n = seen.lock().map(|s| s.len()).unwrap_or(0);
        if n >= jobs {
            break;
        }
        if Instant::now() > deadline {
            bail!("only {n} of {jobs} MPIJobs appeared within 300 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    watch.abort();
    let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
    let mut lat: Vec<f64> = created
        .iter()
        .filter_map(|(n, t)| {
            seen.get(n)
                .map(|s| s.saturating_duration_since(*t).as_secs_f64())
        })
        .collect();
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat[((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1];
    Ok(format!(
        "creation → MPIJob, {jobs} jobs at once: p50 {:.3} s, p99 {:.3} s, max {:.3} s",
        pct(0.50),
        pct(0.99),
        pct(1.0)
    ))
}

/// The floor: an MPIJob for every TrainingJob as soon as it is seen, 48 creates
/// in flight as the scheduler does, nothing else.
async fn echo_controller(client: Client, ns: String) {
    let tjs: Api<TrainingJob> = Api::namespaced(client.clone(), &ns);
    let mpijobs: Api<MPIJob> = Api::namespaced(client, &ns);
    watcher(tjs, watcher::Config::default())
        .applied_objects()
        .filter_map(|j| async move { j.ok() })
        .map(|job| {
            let mpijobs = mpijobs.clone();
            async move {
                if let Ok(m) = voda_scheduler::workload::build::mpijob_for(&job, 1, None) {
                    let _ = mpijobs.create(&PostParams::default(), &m).await;
                }
            }
        })
        .buffer_unordered(48)
        .for_each(|()| async {})
        .await;
}
