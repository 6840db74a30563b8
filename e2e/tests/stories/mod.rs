//! User stories of the live controllers (the "live controllers" issue), each on its
//! own GPU type, namespace and fake nodes, so stories cannot disturb each other.
//! The manager and schedulers run as real processes of the built binary.

mod algorithm_change;
mod capacity_loss;
mod delete_frees_gpus;
mod elastic_split;
mod leader_election;
mod legacy_taints;
mod placement_migration;
mod progress_profiles;
mod refused_binding;
mod refused_start;
mod restart_safety;
mod spec_changes;
mod tiresias_queues;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use k8s_openapi::api::core::v1::{Event, Namespace, Node, Pod};
use kube::Client;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{Value, json};

pub const FINISH_AS: &str = "e2e.vodascheduler.io/finish-as";

pub fn tj_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("vodascheduler.io", "v1alpha1", "TrainingJob"),
        "trainingjobs",
    )
}

fn sp_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("vodascheduler.io", "v1alpha1", "SchedulerPolicy"),
        "schedulerpolicies",
    )
}

pub fn mpijob_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("kubeflow.org", "v2beta1", "MPIJob"),
        "mpijobs",
    )
}

/// A process of the built binary, killed when dropped.
pub struct Proc {
    pub child: Child,
    pub port: u16,
    pub log: std::path::PathBuf,
}

impl Proc {
    /// SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The process's `/metrics` text.
    pub fn metrics(&self) -> Result<String> {
        let out = Command::new("curl")
            .args(["-sf", &format!("http://127.0.0.1:{}/metrics", self.port)])
            .output()
            .context("running curl")?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

/// One story's world: a namespace, a GPU type with its own fake nodes and policy.
pub struct Story {
    pub client: Client,
    pub name: String,
    pub ns: String,
    pub gpu: String,
    pub lease_ns: String,
    nodes: Vec<String>,
}

impl Story {
    pub async fn new(name: &str) -> Result<Self> {
        let client = crate::client().await?;
        // A fresh suffix per run: the MPI operator rate-limits retries per
        // namespace/name, so reusing the names of a run that just failed would
        // inherit its back-off.
        let run = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() % 1_000_000)
            .unwrap_or(0);
        let story = Self {
            client,
            name: name.to_owned(),
            ns: format!("e2e-{name}-{run}"),
            gpu: format!("e2e-{name}-{run}"),
            lease_ns: format!("e2e-{name}-{run}"),
            nodes: Vec::new(),
        };
        story.clean().await?;
        let nss: Api<Namespace> = Api::all(story.client.clone());
        nss.create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": story.ns}}))?,
        )
        .await
        .context("creating the story's namespace")?;
        Ok(story)
    }

    /// Remove what an earlier run of this story left behind.
    async fn clean(&self) -> Result<()> {
        let nss: Api<Namespace> = Api::all(self.client.clone());
        let _ = nss.delete(&self.ns, &DeleteParams::default()).await;
        let sps: Api<DynamicObject> = Api::all_with(self.client.clone(), &sp_resource());
        let _ = sps.delete(&self.gpu, &DeleteParams::default()).await;
        let nodes: Api<Node> = Api::all(self.client.clone());
        let lp = ListParams::default().labels(&format!("vodascheduler/accelerator={}", self.gpu));
        let _ = nodes.delete_collection(&DeleteParams::default(), &lp).await;
        let deadline = Instant::now() + Duration::from_secs(180);
        while nss.get_opt(&self.ns).await?.is_some() {
            if Instant::now() > deadline {
                bail!(
                    "namespace {} from an earlier run is still terminating",
                    self.ns
                );
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        Ok(())
    }

    /// Fake GPU nodes run by kwok: `count` nodes with `gpus` GPUs each.
    pub async fn nodes(&mut self, count: usize, gpus: u32) -> Result<Vec<String>> {
        let api: Api<Node> = Api::all(self.client.clone());
        let mut names = Vec::new();
        for i in 0..count {
            let name = format!("{}-{}", self.gpu, self.nodes.len());
            let resources = json!({"cpu": "32", "memory": "256Gi", "pods": "110", "nvidia.com/gpu": gpus.to_string()});
            let node: Node = serde_json::from_value(json!({
                "metadata": {
                    "name": name,
                    "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
                    "labels": {
                        "type": "kwok",
                        "kubernetes.io/hostname": name,
                        "vodascheduler/accelerator": self.gpu,
                    },
                },
                "status": {"allocatable": resources, "capacity": resources},
            }))?;
            api.create(&PostParams::default(), &node)
                .await
                .with_context(|| format!("creating node {name} ({i})"))?;
            self.nodes.push(name.clone());
            names.push(name);
        }
        for name in &names {
            self.eventually(
                &format!("node {name} Ready"),
                Duration::from_secs(60),
                || async {
                    let node = api.get(name).await?;
                    Ok(node
                        .status
                        .and_then(|s| s.conditions)
                        .unwrap_or_default()
                        .iter()
                        .any(|c| c.type_ == "Ready" && c.status == "True"))
                },
            )
            .await?;
        }
        Ok(names)
    }

    pub async fn policy(&self, spec: Value) -> Result<()> {
        let api: Api<DynamicObject> = Api::all_with(self.client.clone(), &sp_resource());
        let obj = json!({
            "apiVersion": "vodascheduler.io/v1alpha1",
            "kind": "SchedulerPolicy",
            "metadata": {"name": self.gpu},
            "spec": spec,
        });
        api.patch(
            &self.gpu,
            &PatchParams::apply("e2e").force(),
            &Patch::Apply(&obj),
        )
        .await
        .context("applying the SchedulerPolicy")?;
        Ok(())
    }

    /// Start `voda-scheduler <args>` with the e2e kubeconfig; its log goes to a file.
    pub fn spawn(&self, role: &str, extra: &[&str]) -> Result<Proc> {
        // VODA_E2E_LOG: another RUST_LOG for the processes of a story being debugged.
        let log = std::env::var("VODA_E2E_LOG").unwrap_or_else(|_| "info,kube=warn".into());
        self.spawn_with(role, extra, &crate::kubeconfig_path(), &log)
    }

    /// As [`Story::spawn`], authenticated by `kubeconfig` and logging at `rust_log`.
    pub fn spawn_with(
        &self,
        role: &str,
        extra: &[&str],
        kubeconfig: &std::path::Path,
        rust_log: &str,
    ) -> Result<Proc> {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("voda-e2e-{}-{role}-{port}.log", self.name));
        let file = std::fs::File::create(&log)?;
        // VODA_E2E_BIN runs another build of the binary (e.g. a release build).
        let bin = std::env::var("VODA_E2E_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_voda-scheduler").to_owned());
        let mut cmd = Command::new(bin);
        cmd.arg(role);
        if role == "scheduler" {
            cmd.args(["--gpu-type", &self.gpu]);
        }
        cmd.args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--lease-namespace", &self.lease_ns])
            .args(extra)
            .env("KUBECONFIG", kubeconfig)
            .env("RUST_LOG", rust_log)
            .stdout(Stdio::null())
            .stderr(file);
        let child = cmd.spawn().context("starting voda-scheduler")?;
        Ok(Proc { child, port, log })
    }

    pub fn scheduler(&self) -> Result<Proc> {
        self.spawn("scheduler", &["--namespace", &self.ns])
    }

    /// Submit a TrainingJob whose launcher finishes only when the test says so.
    pub async fn submit(&self, name: &str, min: u32, max: u32) -> Result<()> {
        self.submit_with(name, json!({"min": min, "max": max}), json!({}))
            .await
    }

    pub async fn submit_with(&self, name: &str, workers: Value, extra_spec: Value) -> Result<()> {
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), &self.ns, &tj_resource());
        let mut spec = json!({
            "gpuType": self.gpu,
            "workers": workers,
            "mpiJob": {
                "mpiReplicaSpecs": {
                    "Launcher": {"template": {"spec": {"containers": [{"name": "launcher", "image": "horovod/horovod:latest"}]}}},
                    "Worker": {"template": {"spec": {"containers": [{
                        "name": "worker", "image": "horovod/horovod:latest",
                        "resources": {"limits": {"nvidia.com/gpu": 1}}
                    }]}}}
                }
            }
        });
        if let (Some(s), Some(extra)) = (spec.as_object_mut(), extra_spec.as_object()) {
            for (k, v) in extra {
                s.insert(k.clone(), v.clone());
            }
        }
        let obj = json!({
            "apiVersion": "vodascheduler.io/v1alpha1",
            "kind": "TrainingJob",
            "metadata": {"name": name, "namespace": self.ns},
            "spec": spec,
        });
        api.create(&PostParams::default(), &serde_json::from_value(obj)?)
            .await
            .with_context(|| format!("creating TrainingJob {name}"))?;
        Ok(())
    }

    pub async fn job(&self, name: &str) -> Result<Value> {
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), &self.ns, &tj_resource());
        Ok(serde_json::to_value(api.get(name).await?)?)
    }

    pub async fn delete_job(&self, name: &str) -> Result<()> {
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), &self.ns, &tj_resource());
        api.delete(name, &DeleteParams::default()).await?;
        Ok(())
    }

    /// Phase and workers of every job of the story.
    pub async fn jobs(&self) -> Result<BTreeMap<String, (String, u64)>> {
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), &self.ns, &tj_resource());
        let mut out = BTreeMap::new();
        for j in api.list(&ListParams::default()).await? {
            let v = serde_json::to_value(&j)?;
            let phase = v["status"]["phase"].as_str().unwrap_or("").to_owned();
            let workers = v["status"]["workers"].as_u64().unwrap_or(0);
            out.insert(j.metadata.name.unwrap_or_default(), (phase, workers));
        }
        Ok(out)
    }

    pub async fn mpijob_count(&self) -> Result<usize> {
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), &self.ns, &mpijob_resource());
        Ok(api.list(&ListParams::default()).await?.items.len())
    }

    /// Worker pods of `job` that are Running, by node.
    pub async fn workers_by_node(&self, job: &str) -> Result<BTreeMap<String, usize>> {
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), &self.ns);
        let lp = ListParams::default().labels(&format!(
            "training.kubeflow.org/job-name={job},training.kubeflow.org/job-role=worker"
        ));
        let mut out = BTreeMap::new();
        for p in pods.list(&lp).await? {
            let running = p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running");
            if running
                && p.metadata.deletion_timestamp.is_none()
                && let Some(node) = p.spec.and_then(|s| s.node_name)
            {
                *out.entry(node).or_default() += 1;
            }
        }
        Ok(out)
    }

    /// Make the launcher of `job` finish (kwok stage) as Succeeded or Failed. The
    /// launcher may be replaced meanwhile (placement restarts it when all workers
    /// move), so this keeps marking launcher pods until the job has finished.
    pub async fn finish(&self, job: &str, how: &str) -> Result<()> {
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), &self.ns);
        let lp = ListParams::default().labels(&format!(
            "training.kubeflow.org/job-name={job},training.kubeflow.org/job-role=launcher"
        ));
        self.eventually(
            &format!("{job} to finish as {how}"),
            Duration::from_secs(90),
            || async {
                let phase = self.job(job).await?["status"]["phase"].clone();
                if phase == "Completed" || phase == "Failed" {
                    return Ok(true);
                }
                for p in pods.list(&lp).await? {
                    let marked = p
                        .metadata
                        .annotations
                        .as_ref()
                        .is_some_and(|a| a.contains_key(FINISH_AS));
                    if p.metadata.deletion_timestamp.is_some() || marked {
                        continue;
                    }
                    let name = p.metadata.name.unwrap_or_default();
                    pods.patch(
                        &name,
                        &PatchParams::default(),
                        &Patch::Merge(&json!({"metadata": {"annotations": {FINISH_AS: how}}})),
                    )
                    .await?;
                }
                Ok(false)
            },
        )
        .await
    }

    /// Reasons of the Events recorded on TrainingJob `job`, oldest first.
    pub async fn events(&self, job: &str) -> Result<Vec<String>> {
        let api: Api<Event> = Api::namespaced(self.client.clone(), &self.ns);
        let lp = ListParams::default().fields(&format!(
            "involvedObject.kind=TrainingJob,involvedObject.name={job}"
        ));
        let mut evs: Vec<Event> = api.list(&lp).await?.items;
        evs.sort_by_key(|e| e.metadata.creation_timestamp.clone().map(|t| t.0));
        Ok(evs.into_iter().filter_map(|e| e.reason).collect())
    }

    /// Wait until `check` holds, checking every 250 ms for at most `within`.
    pub async fn eventually<F, Fut>(&self, what: &str, within: Duration, mut check: F) -> Result<()>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<bool>>,
    {
        let deadline = Instant::now() + within;
        let mut last_err = None;
        loop {
            match check().await {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) => last_err = Some(e),
            }
            if Instant::now() > deadline {
                let jobs = self.jobs().await.unwrap_or_default();
                bail!(
                    "timed out after {within:?} waiting for {what}; jobs now: {jobs:?}; last error: {last_err:?}"
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Wait until the jobs' (phase, workers) equal `want`.
    pub async fn expect_jobs(&self, want: &[(&str, &str, u64)], within: Duration) -> Result<()> {
        let want: BTreeMap<String, (String, u64)> = want
            .iter()
            .map(|(n, p, w)| ((*n).to_owned(), ((*p).to_owned(), *w)))
            .collect();
        self.eventually(&format!("jobs {want:?}"), within, || async {
            Ok(self.jobs().await? == want)
        })
        .await
    }

    /// Delete what the story created (also done at the start of the next run).
    pub async fn cleanup(self) -> Result<()> {
        self.clean().await
    }
}
