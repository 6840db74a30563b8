//! Integration tests on the real local control plane (see e2e/README.md).
//!
//! Every test is `#[ignore]`d so a plain `cargo test` lists it with the reason;
//! `make e2e` starts (or reuses) the control plane and runs them with
//! `-- --ignored`, passing the admin kubeconfig in `VODA_E2E_KUBECONFIG`.
//! A test that runs without it fails; it never passes silently.
//!
//! TrainingJob and SchedulerPolicy objects are handled as `DynamicObject`s and
//! JSON so these tests depend only on the CRD manifests in `crds/`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use k8s_openapi::api::core::v1::{Namespace, Node, Pod};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::{ApiResource, GroupVersionKind};
use kube::{Client, Config};
use serde_json::{Value, json};

mod stories;

const KUBECONFIG_ENV: &str = "VODA_E2E_KUBECONFIG";
const FINISH_AS: &str = "e2e.vodascheduler.io/finish-as";
const FINISH_AFTER: &str = "e2e.vodascheduler.io/finish-after";
const ACCELERATOR_LABEL: &str = "vodascheduler/accelerator";

// ---- harness -------------------------------------------------------------------

fn kubeconfig_path() -> PathBuf {
    match std::env::var_os(KUBECONFIG_ENV) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => panic!(
            "{KUBECONFIG_ENV} is not set: these tests need the local control plane. \
             Run `make e2e`, or `make cluster-up` and then \
             `{KUBECONFIG_ENV}=<last line it printed> cargo test --test e2e -- --ignored`"
        ),
    }
}

async fn client() -> Result<Client> {
    let path = kubeconfig_path();
    let kubeconfig =
        Kubeconfig::read_from(&path).with_context(|| format!("reading {}", path.display()))?;
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default()).await?;
    Ok(Client::try_from(config)?)
}

/// kubectl of the control plane's Kubernetes release: `VODA_E2E_KUBECTL`, else
/// `bin/kubectl` next to the kubeconfig (up.sh links it there), else PATH.
fn kubectl_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("VODA_E2E_KUBECTL").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let beside = kubeconfig_path()
        .parent()
        .map(|d| d.join("bin/kubectl"))
        .unwrap_or_default();
    if beside.exists() {
        beside
    } else {
        PathBuf::from("kubectl")
    }
}

struct Output {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn kubectl(args: &[&str]) -> Result<Output> {
    let out = Command::new(kubectl_binary())
        .arg("--kubeconfig")
        .arg(kubeconfig_path())
        .args(args)
        .current_dir(repo_dir())
        .output()
        .context("running kubectl")?;
    Ok(Output {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

fn repo_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Polls `f` every 250 ms until it returns `Some`, or fails after `timeout`
/// with `what` and the last state `f` described.
async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut f: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<std::result::Result<T, String>>>,
{
    let start = Instant::now();
    loop {
        match f().await? {
            Ok(v) => return Ok(v),
            Err(state) => {
                if start.elapsed() > timeout {
                    bail!("timed out after {timeout:?} waiting for {what}; last state: {state}");
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A namespace of its own for one test, deleted when the test ends.
struct TestNamespace {
    name: String,
}

impl TestNamespace {
    async fn new(client: &Client, prefix: &str) -> Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .subsec_nanos();
        let name = format!("e2e-{prefix}-{:x}", nanos & 0xff_ffff);
        let ns: Namespace = serde_json::from_value(json!({
            "metadata": {"name": name, "labels": {"e2e.vodascheduler.io/test": prefix}}
        }))?;
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &ns)
            .await
            .with_context(|| format!("creating namespace {name}"))?;
        // Pods need the default ServiceAccount, which the controller manager adds.
        let sa =
            Api::<k8s_openapi::api::core::v1::ServiceAccount>::namespaced(client.clone(), &name);
        wait_for(
            "the default ServiceAccount",
            Duration::from_secs(30),
            || {
                let sa = sa.clone();
                async move {
                    Ok(match sa.get_opt("default").await? {
                        Some(_) => Ok(()),
                        None => Err("absent".to_string()),
                    })
                }
            },
        )
        .await?;
        Ok(Self { name })
    }
}

impl Drop for TestNamespace {
    /// Deletes the namespace (and so everything in it), on a runtime of its
    /// own since the test's is shutting down. A failed test keeps it, to look at.
    fn drop(&mut self) {
        let name = self.name.clone();
        if std::thread::panicking() {
            eprintln!("test failed: kept namespace {name} for inspection");
            return;
        }
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let api = Api::<Namespace>::all(client().await?);
                api.delete(&name, &DeleteParams::background()).await?;
                anyhow::Ok(())
            })
        })
        .join();
    }
}

fn gvk_resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

fn training_jobs() -> ApiResource {
    gvk_resource(
        "vodascheduler.io",
        "v1alpha1",
        "TrainingJob",
        "trainingjobs",
    )
}

fn scheduler_policies() -> ApiResource {
    gvk_resource(
        "vodascheduler.io",
        "v1alpha1",
        "SchedulerPolicy",
        "schedulerpolicies",
    )
}

fn mpi_jobs() -> ApiResource {
    gvk_resource("kubeflow.org", "v2beta1", "MPIJob", "mpijobs")
}

fn dynamic(value: Value) -> Result<DynamicObject> {
    Ok(serde_json::from_value(value)?)
}

/// A TrainingJob that the API server accepts, as in examples/.
fn valid_training_job(name: &str) -> Value {
    json!({
        "apiVersion": "vodascheduler.io/v1alpha1",
        "kind": "TrainingJob",
        "metadata": {"name": name},
        "spec": {
            "gpuType": "nvidia-tesla-v100",
            "workers": {"min": 1, "max": 4},
            "epochs": 10,
            "priority": 0,
            "category": "e2e",
            "mpiJob": {
                "slotsPerWorker": 1,
                "mpiReplicaSpecs": {
                    "Launcher": {"template": {"spec": {"containers": [
                        {"name": "launcher", "image": "horovod/horovod:latest"}
                    ]}}},
                    "Worker": {"template": {"spec": {"containers": [
                        {"name": "worker", "image": "horovod/horovod:latest",
                         "resources": {"limits": {"nvidia.com/gpu": 1}}}
                    ]}}}
                }
            }
        }
    })
}

fn crd_established(crd: &CustomResourceDefinition) -> bool {
    crd.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c.type_ == "Established" && c.status == "True")
        })
}

// ---- CRDs ----------------------------------------------------------------------

#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn crds_are_installed_and_established() -> Result<()> {
    let client = client().await?;
    let crds = Api::<CustomResourceDefinition>::all(client);
    for (name, scope) in [
        ("trainingjobs.vodascheduler.io", "Namespaced"),
        ("schedulerpolicies.vodascheduler.io", "Cluster"),
        ("mpijobs.kubeflow.org", "Namespaced"),
    ] {
        let crd = crds
            .get_opt(name)
            .await?
            .ok_or_else(|| anyhow!("CRD {name} is not installed"))?;
        assert!(
            crd_established(&crd),
            "CRD {name} is not Established: {:?}",
            crd.status
        );
        assert_eq!(crd.spec.scope, scope, "scope of {name}");
    }
    let tj = crds.get("trainingjobs.vodascheduler.io").await?;
    assert!(
        tj.spec
            .names
            .short_names
            .unwrap_or_default()
            .contains(&"tj".to_string()),
        "TrainingJob has the short name tj"
    );
    let mpi = crds.get("mpijobs.kubeflow.org").await?;
    assert!(
        mpi.spec
            .versions
            .iter()
            .any(|v| v.name == "v2beta1" && v.served),
        "the MPIJob CRD serves kubeflow.org/v2beta1"
    );
    Ok(())
}

#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn fake_gpu_nodes_are_ready() -> Result<()> {
    let client = client().await?;
    let nodes = Api::<Node>::all(client)
        .list(&ListParams::default().labels(ACCELERATOR_LABEL))
        .await?;
    assert!(
        !nodes.items.is_empty(),
        "no node has the label {ACCELERATOR_LABEL}"
    );
    for node in &nodes.items {
        let name = node.metadata.name.as_deref().unwrap_or_default();
        let status = node.status.as_ref().expect("node status");
        let gpus = status
            .allocatable
            .as_ref()
            .and_then(|a| a.get("nvidia.com/gpu"))
            .map(|q| q.0.clone());
        assert!(
            gpus.as_deref()
                .is_some_and(|g| g.parse::<u32>().is_ok_and(|n| n > 0)),
            "node {name} has no allocatable nvidia.com/gpu: {gpus:?}"
        );
        let ready = status
            .conditions
            .as_ref()
            .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
        assert!(ready, "node {name} is not Ready");
    }
    Ok(())
}

// ---- kubectl -------------------------------------------------------------------

#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn kubectl_apply_examples_succeeds() -> Result<()> {
    let out = kubectl(&["apply", "-f", "examples/"])?;
    assert!(
        out.ok,
        "kubectl apply -f examples/ failed:\n{}{}",
        out.stdout, out.stderr
    );
    assert!(
        out.stdout.contains("trainingjob.vodascheduler.io/"),
        "{}",
        out.stdout
    );
    // Applying again changes nothing and still succeeds.
    let again = kubectl(&["apply", "-f", "examples/"])?;
    assert!(again.ok, "second apply failed:\n{}", again.stderr);
    let del = kubectl(&[
        "delete",
        "-f",
        "examples/",
        "--ignore-not-found",
        "--wait=false",
    ])?;
    assert!(
        del.ok,
        "kubectl delete -f examples/ failed:\n{}",
        del.stderr
    );
    Ok(())
}

#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn kubectl_get_trainingjobs_prints_the_printer_columns() -> Result<()> {
    let client = client().await?;
    let ns = TestNamespace::new(&client, "columns").await?;
    let tjs = Api::<DynamicObject>::namespaced_with(client.clone(), &ns.name, &training_jobs());
    tjs.create(
        &PostParams::default(),
        &dynamic(valid_training_job("printer"))?,
    )
    .await?;

    // The columns the CRD declares: priority 0 in the default view, all in -o wide.
    let crd = Api::<CustomResourceDefinition>::all(client)
        .get("trainingjobs.vodascheduler.io")
        .await?;
    let version = crd
        .spec
        .versions
        .iter()
        .find(|v| v.name == "v1alpha1")
        .context("v1alpha1")?;
    let columns = version
        .additional_printer_columns
        .clone()
        .unwrap_or_default();
    assert!(
        !columns.is_empty(),
        "the TrainingJob CRD declares no printer columns"
    );
    let header = |wide: bool| -> Vec<String> {
        std::iter::once("NAME".to_string())
            .chain(
                columns
                    .iter()
                    .filter(|c| wide || c.priority.unwrap_or(0) == 0)
                    .map(|c| c.name.to_uppercase()),
            )
            .collect()
    };

    for (args, wide) in [
        (vec!["get", "trainingjobs", "-n", &ns.name], false),
        (vec!["get", "tj", "-n", &ns.name], false),
        (
            vec!["get", "trainingjobs", "-n", &ns.name, "-o", "wide"],
            true,
        ),
    ] {
        let out = kubectl(&args)?;
        assert!(out.ok, "kubectl {args:?} failed: {}", out.stderr);
        let mut lines = out.stdout.lines();
        let got: Vec<String> = lines
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        assert_eq!(
            got,
            header(wide),
            "header of kubectl {args:?}:\n{}",
            out.stdout
        );
        let row = lines.next().unwrap_or_default();
        assert!(
            row.starts_with("printer "),
            "row of kubectl {args:?}:\n{}",
            out.stdout
        );
    }
    Ok(())
}

// ---- validation ----------------------------------------------------------------

/// Applies `edit` to a valid object and expects the API server to reject it
/// with a message that names `field`.
struct Invalid {
    what: &'static str,
    field: &'static str,
    edit: fn(&mut Value),
}

fn spec(v: &mut Value) -> &mut serde_json::Map<String, Value> {
    v["spec"].as_object_mut().expect("spec")
}

const INVALID_TRAINING_JOBS: &[Invalid] = &[
    Invalid {
        what: "no gpuType",
        field: "spec.gpuType",
        edit: |v| {
            spec(v).remove("gpuType");
        },
    },
    Invalid {
        what: "gpuType is not a DNS label",
        field: "spec.gpuType",
        edit: |v| v["spec"]["gpuType"] = json!("Tesla_V100"),
    },
    Invalid {
        what: "gpuType is empty",
        field: "spec.gpuType",
        edit: |v| v["spec"]["gpuType"] = json!(""),
    },
    Invalid {
        what: "no workers",
        field: "spec.workers",
        edit: |v| {
            spec(v).remove("workers");
        },
    },
    Invalid {
        what: "workers.min is 0",
        field: "spec.workers.min",
        edit: |v| v["spec"]["workers"]["min"] = json!(0),
    },
    Invalid {
        what: "workers.max is missing",
        field: "spec.workers.max",
        edit: |v| {
            v["spec"]["workers"].as_object_mut().unwrap().remove("max");
        },
    },
    Invalid {
        what: "workers.max below workers.min",
        field: "spec.workers",
        edit: |v| v["spec"]["workers"] = json!({"min": 4, "max": 2}),
    },
    Invalid {
        what: "workers.requested above workers.max",
        field: "spec.workers",
        edit: |v| v["spec"]["workers"] = json!({"min": 1, "max": 2, "requested": 3}),
    },
    Invalid {
        what: "workers is a string",
        field: "spec.workers",
        edit: |v| v["spec"]["workers"] = json!("4"),
    },
    Invalid {
        what: "epochs is 0",
        field: "spec.epochs",
        edit: |v| v["spec"]["epochs"] = json!(0),
    },
    Invalid {
        what: "priority is negative",
        field: "spec.priority",
        edit: |v| v["spec"]["priority"] = json!(-1),
    },
    Invalid {
        what: "category is empty",
        field: "spec.category",
        edit: |v| v["spec"]["category"] = json!(""),
    },
    Invalid {
        what: "no mpiJob",
        field: "spec.mpiJob",
        edit: |v| {
            spec(v).remove("mpiJob");
        },
    },
    Invalid {
        what: "mpiJob without mpiReplicaSpecs",
        field: "spec.mpiJob.mpiReplicaSpecs",
        edit: |v| v["spec"]["mpiJob"] = json!({"slotsPerWorker": 1}),
    },
    Invalid {
        what: "the worker count is set in the MPIJob",
        field: "spec.mpiJob.mpiReplicaSpecs.Worker",
        edit: |v| v["spec"]["mpiJob"]["mpiReplicaSpecs"]["Worker"]["replicas"] = json!(2),
    },
    Invalid {
        what: "two launchers",
        field: "spec.mpiJob.mpiReplicaSpecs.Launcher",
        edit: |v| v["spec"]["mpiJob"]["mpiReplicaSpecs"]["Launcher"]["replicas"] = json!(2),
    },
    Invalid {
        what: "slotsPerWorker is 0",
        field: "spec.mpiJob.slotsPerWorker",
        edit: |v| v["spec"]["mpiJob"]["slotsPerWorker"] = json!(0),
    },
    Invalid {
        what: "no spec",
        field: "spec",
        edit: |v| {
            v.as_object_mut().unwrap().remove("spec");
        },
    },
];

fn valid_scheduler_policy(name: &str) -> Value {
    json!({
        "apiVersion": "vodascheduler.io/v1alpha1",
        "kind": "SchedulerPolicy",
        "metadata": {"name": name},
        "spec": {"algorithm": "ElasticTiresias", "rateLimitSeconds": 30}
    })
}

const INVALID_SCHEDULER_POLICIES: &[Invalid] = &[
    Invalid {
        what: "unknown algorithm",
        field: "spec.algorithm",
        edit: |v| v["spec"]["algorithm"] = json!("RoundRobinMagic"),
    },
    Invalid {
        what: "negative rateLimitSeconds",
        field: "spec.rateLimitSeconds",
        edit: |v| v["spec"]["rateLimitSeconds"] = json!(-5),
    },
    Invalid {
        what: "rateLimitSeconds is a string",
        field: "spec.rateLimitSeconds",
        edit: |v| v["spec"]["rateLimitSeconds"] = json!("30s"),
    },
];

async fn expect_rejected(
    api: &Api<DynamicObject>,
    mut object: Value,
    case: &Invalid,
) -> Result<String> {
    (case.edit)(&mut object);
    let pp = PostParams {
        dry_run: true,
        ..Default::default()
    };
    match api.create(&pp, &dynamic(object)?).await {
        Ok(_) => Ok(format!(
            "{}: accepted, want a rejection naming {}",
            case.what, case.field
        )),
        Err(kube::Error::Api(status)) => {
            if status.code != 422 && status.code != 400 {
                return Ok(format!(
                    "{}: HTTP {} ({}), want 422",
                    case.what, status.code, status.message
                ));
            }
            if !status.message.contains(case.field) {
                return Ok(format!(
                    "{}: the message does not name {}: {}",
                    case.what, case.field, status.message
                ));
            }
            Ok(String::new())
        }
        Err(e) => Err(e.into()),
    }
}

#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn invalid_specs_are_rejected_naming_the_field() -> Result<()> {
    let client = client().await?;
    let ns = TestNamespace::new(&client, "invalid").await?;
    let tjs = Api::<DynamicObject>::namespaced_with(client.clone(), &ns.name, &training_jobs());
    let policies = Api::<DynamicObject>::all_with(client.clone(), &scheduler_policies());

    // The valid objects the table starts from are accepted.
    let dry = PostParams {
        dry_run: true,
        ..Default::default()
    };
    tjs.create(&dry, &dynamic(valid_training_job("valid"))?)
        .await
        .context("the valid TrainingJob was rejected")?;
    policies
        .create(&dry, &dynamic(valid_scheduler_policy("e2e-valid"))?)
        .await
        .context("the valid SchedulerPolicy was rejected")?;

    let mut failures = Vec::new();
    for (i, case) in INVALID_TRAINING_JOBS.iter().enumerate() {
        let msg = expect_rejected(&tjs, valid_training_job(&format!("invalid-{i}")), case).await?;
        if !msg.is_empty() {
            failures.push(format!("TrainingJob {msg}"));
        }
    }
    for (i, case) in INVALID_SCHEDULER_POLICIES.iter().enumerate() {
        let msg = expect_rejected(
            &policies,
            valid_scheduler_policy(&format!("e2e-invalid-{i}")),
            case,
        )
        .await?;
        if !msg.is_empty() {
            failures.push(format!("SchedulerPolicy {msg}"));
        }
    }

    // gpuType is immutable: an update that changes it is rejected.
    tjs.create(
        &PostParams::default(),
        &dynamic(valid_training_job("immutable"))?,
    )
    .await?;
    let change = tjs
        .patch(
            "immutable",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"gpuType": "nvidia-gtx-1080ti"}})),
        )
        .await;
    match change {
        Err(kube::Error::Api(s)) if s.code == 422 && s.message.contains("spec.gpuType") => {}
        other => failures.push(format!(
            "TrainingJob changing gpuType: want 422 naming spec.gpuType, got {other:?}"
        )),
    }

    assert!(
        failures.is_empty(),
        "not rejected as expected:\n  {}",
        failures.join("\n  ")
    );
    Ok(())
}

// ---- status subresource --------------------------------------------------------

#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn status_round_trips_through_the_status_subresource() -> Result<()> {
    let client = client().await?;
    let ns = TestNamespace::new(&client, "status").await?;
    let tjs = Api::<DynamicObject>::namespaced_with(client.clone(), &ns.name, &training_jobs());
    let created = tjs
        .create(
            &PostParams::default(),
            &dynamic(valid_training_job("status"))?,
        )
        .await?;
    let generation = created.metadata.generation;

    let status = json!({
        "phase": "Running",
        "workers": 2,
        "scheduler": "nvidia-tesla-v100",
        "queue": 1,
        "lastTransitionTime": "2025-01-02T03:04:05Z",
        "times": {"waiting": "10s", "running": "1m", "total": "1m10s"},
        "conditions": [{
            "type": "Scheduled",
            "status": "True",
            "reason": "Allocated",
            "message": "2 workers on nvidia-tesla-v100",
            "lastTransitionTime": "2025-01-02T03:04:05Z"
        }]
    });
    tjs.patch_status(
        "status",
        &PatchParams::default(),
        &Patch::Merge(json!({ "status": status })),
    )
    .await
    .context("patching the status subresource")?;

    let got = tjs.get("status").await?;
    for (key, want) in status.as_object().unwrap() {
        assert_eq!(
            &got.data["status"][key], want,
            "status.{key} after a round trip"
        );
    }
    assert_eq!(
        got.metadata.generation, generation,
        "a status write does not bump generation"
    );

    // The main resource ignores status, and the status subresource ignores spec.
    tjs.patch(
        "status",
        &PatchParams::default(),
        &Patch::Merge(json!({"status": {"phase": "Failed"}, "spec": {"workers": {"max": 3}}})),
    )
    .await?;
    tjs.patch_status(
        "status",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"workers": {"max": 2}}, "status": {"workers": 3}})),
    )
    .await?;
    let got = tjs.get("status").await?;
    assert_eq!(
        got.data["status"]["phase"], "Running",
        "status written through the main resource"
    );
    assert_eq!(got.data["status"]["workers"], 3);
    assert_eq!(
        got.data["spec"]["workers"]["max"], 3,
        "spec written through the status subresource"
    );

    // An invalid status is rejected there too.
    let bad = tjs
        .patch_status(
            "status",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"phase": "Exploded"}})),
        )
        .await;
    match bad {
        Err(kube::Error::Api(s)) if s.code == 422 && s.message.contains("status.phase") => {}
        other => panic!("an unknown phase: want 422 naming status.phase, got {other:?}"),
    }
    Ok(())
}

// ---- MPIJobs on the fake nodes -------------------------------------------------

fn mpi_job(name: &str, workers: u32, gpu_type: &str, launcher_annotations: Value) -> Value {
    json!({
        "apiVersion": "kubeflow.org/v2beta1",
        "kind": "MPIJob",
        "metadata": {"name": name},
        "spec": {
            "slotsPerWorker": 1,
            "runPolicy": {"backoffLimit": 0, "cleanPodPolicy": "Running"},
            "mpiReplicaSpecs": {
                "Launcher": {
                    "replicas": 1,
                    "restartPolicy": "Never",
                    "template": {
                        "metadata": {"annotations": launcher_annotations},
                        "spec": {"containers": [{
                            "name": "launcher",
                            "image": "mpioperator/mpi-pi:openmpi",
                            "command": ["mpirun", "-n", workers.to_string(), "/home/mpiuser/pi"]
                        }]}
                    }
                },
                "Worker": {
                    "replicas": workers,
                    "template": {"spec": {
                        "nodeSelector": {ACCELERATOR_LABEL: gpu_type},
                        "containers": [{
                            "name": "worker",
                            "image": "mpioperator/mpi-pi:openmpi",
                            "resources": {"limits": {"nvidia.com/gpu": 1}}
                        }]
                    }}
                }
            }
        }
    })
}

fn role_pods(job: &str, role: &str) -> ListParams {
    ListParams::default().labels(&format!(
        "training.kubeflow.org/job-name={job},training.kubeflow.org/job-role={role}"
    ))
}

fn pod_phase(p: &Pod) -> &str {
    p.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("")
}

fn describe_pods(pods: &[Pod]) -> String {
    pods.iter()
        .map(|p| {
            format!(
                "{}:{}@{}",
                p.metadata.name.as_deref().unwrap_or("?"),
                pod_phase(p),
                p.spec
                    .as_ref()
                    .and_then(|s| s.node_name.as_deref())
                    .unwrap_or("-")
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The status of the MPIJob condition `type_` ("True", "False" or "").
fn mpijob_condition(job: &DynamicObject, type_: &str) -> String {
    job.data["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["type"] == type_)
        .and_then(|c| c["status"].as_str())
        .unwrap_or("")
        .to_string()
}

async fn wait_running_workers(
    pods: &Api<Pod>,
    nodes: &Api<Node>,
    job: &str,
    n: usize,
    gpu_type: &str,
) -> Result<Vec<Pod>> {
    let workers = wait_for(
        &format!("{n} Running workers of {job}"),
        Duration::from_secs(90),
        || {
            let pods = pods.clone();
            async move {
                let list = pods.list(&role_pods(job, "worker")).await?.items;
                let running = list.iter().filter(|p| pod_phase(p) == "Running").count();
                Ok(if list.len() == n && running == n {
                    Ok(list)
                } else {
                    Err(describe_pods(&list))
                })
            }
        },
    )
    .await?;
    for w in &workers {
        let node_name = w
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .context("bound")?;
        let node = nodes.get(&node_name).await?;
        let labels = node.metadata.labels.unwrap_or_default();
        assert_eq!(
            labels.get(ACCELERATOR_LABEL).map(String::as_str),
            Some(gpu_type),
            "worker {:?} runs on {node_name}, a fake {gpu_type} node",
            w.metadata.name
        );
        assert_eq!(
            labels.get("type").map(String::as_str),
            Some("kwok"),
            "{node_name} is a kwok node"
        );
    }
    Ok(workers)
}

async fn wait_mpijob_condition(
    jobs: &Api<DynamicObject>,
    job: &str,
    type_: &str,
    timeout: Duration,
) -> Result<DynamicObject> {
    wait_for(
        &format!("MPIJob {job} condition {type_}=True"),
        timeout,
        || {
            let jobs = jobs.clone();
            async move {
                let j = jobs.get(job).await?;
                Ok(if mpijob_condition(&j, type_) == "True" {
                    Ok(j)
                } else {
                    Err(j.data["status"]["conditions"].to_string())
                })
            }
        },
    )
    .await
}

#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn mpijob_runs_two_workers_and_succeeds_when_its_launcher_finishes() -> Result<()> {
    let client = client().await?;
    let ns = TestNamespace::new(&client, "mpijob").await?;
    let jobs = Api::<DynamicObject>::namespaced_with(client.clone(), &ns.name, &mpi_jobs());
    let pods = Api::<Pod>::namespaced(client.clone(), &ns.name);
    let nodes = Api::<Node>::all(client.clone());

    // No finish annotation: the launcher runs until the test says so.
    jobs.create(
        &PostParams::default(),
        &dynamic(mpi_job("pi", 2, "nvidia-tesla-v100", json!({})))?,
    )
    .await?;
    wait_running_workers(&pods, &nodes, "pi", 2, "nvidia-tesla-v100").await?;
    let launcher = wait_for("a Running launcher", Duration::from_secs(60), || {
        let pods = pods.clone();
        async move {
            let list = pods.list(&role_pods("pi", "launcher")).await?.items;
            Ok(match list.iter().find(|p| pod_phase(p) == "Running") {
                Some(p) => Ok(p.metadata.name.clone().unwrap_or_default()),
                None => Err(describe_pods(&list)),
            })
        }
    })
    .await?;
    wait_mpijob_condition(&jobs, "pi", "Running", Duration::from_secs(30)).await?;

    // It keeps running: no completion while the launcher runs.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let j = jobs.get("pi").await?;
    assert_eq!(
        mpijob_condition(&j, "Succeeded"),
        "",
        "finished before its launcher"
    );
    let list = pods.list(&role_pods("pi", "worker")).await?.items;
    assert!(
        list.iter().all(|p| pod_phase(p) == "Running"),
        "{}",
        describe_pods(&list)
    );

    // The test lets the launcher finish now.
    pods.patch(
        &launcher,
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"annotations": {FINISH_AS: "Succeeded"}}})),
    )
    .await?;
    let done = wait_mpijob_condition(&jobs, "pi", "Succeeded", Duration::from_secs(60)).await?;
    assert!(
        done.data["status"]["completionTime"].is_string(),
        "completionTime set"
    );
    let launcher_pod = pods.get(&launcher).await?;
    assert_eq!(pod_phase(&launcher_pod), "Succeeded");
    Ok(())
}

#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn mpijob_fails_when_its_launcher_fails_after_a_delay() -> Result<()> {
    let client = client().await?;
    let ns = TestNamespace::new(&client, "mpifail").await?;
    let jobs = Api::<DynamicObject>::namespaced_with(client.clone(), &ns.name, &mpi_jobs());
    let pods = Api::<Pod>::namespaced(client.clone(), &ns.name);
    let nodes = Api::<Node>::all(client.clone());

    let start = Instant::now();
    jobs.create(
        &PostParams::default(),
        &dynamic(mpi_job(
            "crash",
            2,
            "nvidia-gtx-1080ti",
            json!({FINISH_AS: "Failed", FINISH_AFTER: "4s"}),
        ))?,
    )
    .await?;
    wait_running_workers(&pods, &nodes, "crash", 2, "nvidia-gtx-1080ti").await?;
    wait_mpijob_condition(&jobs, "crash", "Failed", Duration::from_secs(60)).await?;
    assert!(
        start.elapsed() >= Duration::from_secs(4),
        "failed after {:?}, before the 4s finish-after",
        start.elapsed()
    );
    let launchers = pods.list(&role_pods("crash", "launcher")).await?.items;
    assert!(
        launchers.iter().any(|p| pod_phase(p) == "Failed"),
        "launcher pods: {}",
        describe_pods(&launchers)
    );
    Ok(())
}

#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn launcher_finishes_as_succeeded_after_the_annotated_delay() -> Result<()> {
    let client = client().await?;
    let ns = TestNamespace::new(&client, "delay").await?;
    let jobs = Api::<DynamicObject>::namespaced_with(client.clone(), &ns.name, &mpi_jobs());
    let pods = Api::<Pod>::namespaced(client.clone(), &ns.name);

    let start = Instant::now();
    jobs.create(
        &PostParams::default(),
        &dynamic(mpi_job(
            "timed",
            1,
            "nvidia-tesla-v100",
            json!({FINISH_AS: "Succeeded", FINISH_AFTER: "5s"}),
        ))?,
    )
    .await?;
    wait_mpijob_condition(&jobs, "timed", "Running", Duration::from_secs(60)).await?;
    wait_mpijob_condition(&jobs, "timed", "Succeeded", Duration::from_secs(60)).await?;
    assert!(
        start.elapsed() >= Duration::from_secs(5),
        "succeeded after {:?}, before the 5s finish-after",
        start.elapsed()
    );
    let launchers = pods.list(&role_pods("timed", "launcher")).await?.items;
    assert!(
        launchers.iter().any(|p| pod_phase(p) == "Succeeded"),
        "launcher pods: {}",
        describe_pods(&launchers)
    );
    Ok(())
}

mod chart;
mod compat;
