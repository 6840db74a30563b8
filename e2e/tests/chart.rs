//! The Helm chart (charts/voda-scheduler) on the real control plane: `helm lint`,
//! `helm template` with default and non-default values accepted by the API server
//! (`kubectl apply --server-side --dry-run=server`), and the chart's RBAC running
//! the manager and a scheduler through a story with no 403.
//!
//! helm is the one the e2e tooling builds (e2e/cluster/build-tools.sh):
//! `VODA_E2E_HELM`, else `bin/helm` next to the kubeconfig. Without it these tests
//! fail saying so; they never skip.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use k8s_openapi::api::authentication::v1::TokenRequest;
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, PostParams};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::stories::{Proc, Story, tj_resource};
use crate::{TestNamespace, kubeconfig_path, kubectl, kubectl_binary, repo_dir};

// ---- harness -------------------------------------------------------------------

fn helm_binary() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("VODA_E2E_HELM").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let beside = kubeconfig_path()
        .parent()
        .map(|d| d.join("bin/helm"))
        .unwrap_or_default();
    if beside.exists() {
        return Ok(beside);
    }
    bail!(
        "no helm binary: set VODA_E2E_HELM or run e2e/cluster/build-tools.sh (make tools), \
         which links helm next to the kubeconfig as {}",
        beside.display()
    )
}

fn chart_dir() -> PathBuf {
    repo_dir().join("charts/voda-scheduler")
}

/// Run helm on the e2e cluster; fails with its stderr unless it exits 0.
fn helm(args: &[&str]) -> Result<String> {
    let out = Command::new(helm_binary()?)
        .args(args)
        .env("KUBECONFIG", kubeconfig_path())
        .current_dir(repo_dir())
        .output()
        .context("running helm")?;
    ensure!(
        out.status.success(),
        "helm {} failed: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn temp_file(what: &str, text: &str) -> Result<PathBuf> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .subsec_nanos();
    let path = std::env::temp_dir().join(format!(
        "voda-e2e-chart-{}-{nanos:x}-{what}",
        std::process::id()
    ));
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// The documents of a multi-document YAML stream, empty ones left out.
fn yaml_docs(text: &str) -> Result<Vec<Value>> {
    let mut docs = Vec::new();
    for doc in serde_norway::Deserializer::from_str(text) {
        let v = Value::deserialize(doc).context("parsing rendered YAML")?;
        if !v.is_null() {
            docs.push(v);
        }
    }
    Ok(docs)
}

/// `helm template` of the chart with `values` (YAML); `--include-crds` adds the CRDs.
fn render(release: &str, namespace: &str, values: &str, crds: bool) -> Result<String> {
    let file = temp_file("values.yaml", values)?;
    let file = file.to_string_lossy().into_owned();
    let chart = chart_dir().to_string_lossy().into_owned();
    let mut args = vec![
        "template",
        release,
        &chart,
        "--namespace",
        namespace,
        "--values",
        &file,
    ];
    if crds {
        args.push("--include-crds");
    }
    let out = helm(&args);
    let _ = std::fs::remove_file(&file);
    out
}

fn kind(doc: &Value) -> &str {
    doc["kind"].as_str().unwrap_or("")
}

fn name(doc: &Value) -> &str {
    doc["metadata"]["name"].as_str().unwrap_or("")
}

fn of_kind<'a>(docs: &'a [Value], k: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| kind(d) == k).collect()
}

fn to_yaml_stream(docs: &[&Value]) -> Result<String> {
    let mut out = String::new();
    for d in docs {
        out.push_str("---\n");
        out.push_str(&serde_norway::to_string(d)?);
    }
    Ok(out)
}

/// `kubectl apply --server-side` of `docs` (a dry run unless `for_real`); the
/// TrainingJob CRD is too large for a client-side apply's annotation.
fn kubectl_apply(docs: &[&Value], for_real: bool) -> Result<String> {
    let file = temp_file("apply.yaml", &to_yaml_stream(docs)?)?;
    let file_s = file.to_string_lossy().into_owned();
    let mut args = vec![
        "apply",
        "--server-side",
        "--force-conflicts",
        "--field-manager=e2e-chart",
        "-f",
        &file_s,
    ];
    if !for_real {
        args.push("--dry-run=server");
    }
    let out = kubectl(&args)?;
    let _ = std::fs::remove_file(&file);
    ensure!(
        out.ok,
        "kubectl {} failed:\n{}{}",
        args.join(" "),
        out.stdout,
        out.stderr
    );
    Ok(out.stdout)
}

/// What a rendering must contain, from the values it was rendered with.
struct Expect<'a> {
    release_ns: &'a str,
    compat_ns: &'a str,
    watch_ns: Option<&'a str>,
    /// GPU type and whether the chart creates its SchedulerPolicy.
    gpu_types: &'a [(&'a str, bool)],
    manager_port: u16,
    scheduler_port: u16,
}

fn labels_match(selector: &Value, labels: &Value) -> bool {
    selector
        .as_object()
        .is_some_and(|s| !s.is_empty() && s.iter().all(|(k, v)| labels.get(k) == Some(v)))
}

/// The structure an operator relies on: names and ports of the seed's Services,
/// a Deployment per GPU type, hardened pods, probes, ServiceAccounts.
fn check_rendering(docs: &[Value], e: &Expect) -> Result<()> {
    let deployments = of_kind(docs, "Deployment");
    let services = of_kind(docs, "Service");
    let accounts: BTreeSet<&str> = of_kind(docs, "ServiceAccount")
        .into_iter()
        .map(name)
        .collect();
    ensure!(
        deployments.len() == 1 + e.gpu_types.len(),
        "want a manager and {} scheduler Deployments, got {:?}",
        e.gpu_types.len(),
        deployments.iter().map(|d| name(d)).collect::<Vec<_>>()
    );
    let mut roles = BTreeMap::new();
    for d in &deployments {
        let pod = &d["spec"]["template"];
        let spec = &pod["spec"];
        let sa = spec["serviceAccountName"].as_str().unwrap_or("");
        ensure!(
            accounts.contains(sa),
            "{}: no ServiceAccount {sa:?}",
            name(d)
        );
        ensure!(
            labels_match(
                &d["spec"]["selector"]["matchLabels"],
                &pod["metadata"]["labels"]
            ),
            "{}: selector does not match its pods",
            name(d)
        );
        let psc = &spec["securityContext"];
        ensure!(
            psc["runAsNonRoot"] == json!(true)
                && psc["runAsUser"].as_u64().is_some_and(|u| u > 0)
                && psc["seccompProfile"]["type"] == "RuntimeDefault",
            "{}: pod securityContext {psc}",
            name(d)
        );
        let containers = spec["containers"].as_array().context("containers")?;
        ensure!(containers.len() == 1, "{}: one container", name(d));
        let c = &containers[0];
        let sc = &c["securityContext"];
        ensure!(
            sc["allowPrivilegeEscalation"] == json!(false)
                && sc["readOnlyRootFilesystem"] == json!(true)
                && sc["capabilities"]["drop"] == json!(["ALL"]),
            "{}: container securityContext {sc}",
            name(d)
        );
        for kind in ["requests", "limits"] {
            for r in ["cpu", "memory"] {
                ensure!(
                    c["resources"][kind][r].is_string(),
                    "{}: no {kind}.{r}",
                    name(d)
                );
            }
        }
        ensure!(
            c["livenessProbe"]["httpGet"] == json!({"path": "/healthz", "port": "http"})
                && c["readinessProbe"]["httpGet"] == json!({"path": "/readyz", "port": "http"}),
            "{}: probes {} {}",
            name(d),
            c["livenessProbe"],
            c["readinessProbe"]
        );
        let port = c["ports"][0]["containerPort"].as_u64().unwrap_or(0);
        ensure!(c["ports"][0]["name"] == "http", "{}: port name", name(d));
        let args: Vec<&str> = c["args"]
            .as_array()
            .context("args")?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let want_listen = format!("--listen=0.0.0.0:{port}");
        for want in [
            want_listen.as_str(),
            &format!("--lease-namespace={}", e.release_ns),
            &format!("--compat-namespace={}", e.compat_ns),
        ] {
            ensure!(args.contains(&want), "{}: {want} not in {args:?}", name(d));
        }
        match args.first().copied() {
            Some("manager") => {
                ensure!(port == u64::from(e.manager_port), "manager port {port}");
                // Training pods reach the manager through its Service, whose port
                // stays 55587 whatever the container's is.
                let want = format!(
                    "--progress-url=http://voda-scheduler-svc.{}.svc:55587",
                    e.release_ns
                );
                ensure!(
                    args.contains(&want.as_str()),
                    "manager: {want} not in {args:?}"
                );
                roles.insert("manager".to_owned(), pod["metadata"]["labels"].clone());
            }
            Some("scheduler") => {
                ensure!(port == u64::from(e.scheduler_port), "scheduler port {port}");
                let gpu = args
                    .iter()
                    .find_map(|a| a.strip_prefix("--gpu-type="))
                    .context("--gpu-type")?;
                let ns_arg = args.iter().find_map(|a| a.strip_prefix("--namespace="));
                ensure!(ns_arg == e.watch_ns, "{gpu}: --namespace {ns_arg:?}");
                roles.insert(gpu.to_owned(), pod["metadata"]["labels"].clone());
            }
            other => bail!("{}: unknown role {other:?}", name(d)),
        }
    }
    // The seed's Service names and ports, each selecting exactly its process.
    let mut want_services = vec![("voda-scheduler-svc".to_owned(), 55587, "manager")];
    for (gpu, _) in e.gpu_types {
        want_services.push((format!("scheduler-{gpu}-svc"), 55588, gpu));
    }
    ensure!(
        services.len() == want_services.len(),
        "Services {:?}",
        services.iter().map(|s| name(s)).collect::<Vec<_>>()
    );
    for (svc, port, role) in &want_services {
        let s = services
            .iter()
            .find(|s| name(s) == svc)
            .with_context(|| format!("no Service {svc}"))?;
        ensure!(
            s["spec"]["ports"]
                == json!([{"name": "http", "port": port, "targetPort": "http", "protocol": "TCP"}]),
            "{svc}: ports {}",
            s["spec"]["ports"]
        );
        let selected: Vec<&String> = roles
            .iter()
            .filter(|(_, labels)| labels_match(&s["spec"]["selector"], labels))
            .map(|(r, _)| r)
            .collect();
        ensure!(
            selected == [&(*role).to_owned()],
            "{svc} selects {selected:?}"
        );
    }
    let policies: BTreeSet<&str> = of_kind(docs, "SchedulerPolicy")
        .into_iter()
        .map(name)
        .collect();
    let want_policies: BTreeSet<&str> = e
        .gpu_types
        .iter()
        .filter(|(_, p)| *p)
        .map(|(g, _)| *g)
        .collect();
    ensure!(policies == want_policies, "SchedulerPolicies {policies:?}");
    // One NetworkPolicy covers every pod of the release; another admits progress
    // reports from the MPI jobs' pods of any namespace to the manager only.
    let np = of_kind(docs, "NetworkPolicy");
    ensure!(np.len() == 2, "two NetworkPolicies");
    let (progress, all): (Vec<&Value>, Vec<&Value>) =
        np.into_iter().partition(|p| name(p).ends_with("-progress"));
    ensure!(progress.len() == 1 && all.len() == 1, "NetworkPolicy names");
    for (role, labels) in &roles {
        ensure!(
            labels_match(&all[0]["spec"]["podSelector"]["matchLabels"], labels),
            "the NetworkPolicy misses the {role} pods"
        );
        ensure!(
            labels_match(&progress[0]["spec"]["podSelector"]["matchLabels"], labels)
                == (role == "manager"),
            "the progress NetworkPolicy and the {role} pods"
        );
    }
    ensure!(
        progress[0]["spec"]["ingress"]
            == json!([{
                "ports": [{"port": "http", "protocol": "TCP"}],
                "from": [{"namespaceSelector": {}, "podSelector": {"matchExpressions": [{
                    "key": "training.kubeflow.org/job-role", "operator": "In",
                    "values": ["launcher", "worker"]}]}}]
            }]),
        "progress NetworkPolicy ingress {}",
        progress[0]["spec"]["ingress"]
    );
    Ok(())
}

/// The local cluster has no Prometheus operator, so the ServiceMonitor is checked
/// against the Services it must scrape instead of by the API server.
fn check_service_monitor(docs: &[Value]) -> Result<()> {
    let sm = of_kind(docs, "ServiceMonitor");
    ensure!(sm.len() == 1, "one ServiceMonitor");
    let sm = sm[0];
    ensure!(
        sm["apiVersion"] == "monitoring.coreos.com/v1",
        "{}",
        sm["apiVersion"]
    );
    let services = of_kind(docs, "Service");
    ensure!(!services.is_empty(), "no Services");
    for s in services {
        ensure!(
            labels_match(
                &sm["spec"]["selector"]["matchLabels"],
                &s["metadata"]["labels"]
            ),
            "the ServiceMonitor does not select {}",
            name(s)
        );
        ensure!(
            s["metadata"]["namespace"] == sm["spec"]["namespaceSelector"]["matchNames"][0],
            "{} is outside the ServiceMonitor's namespaces",
            name(s)
        );
    }
    ensure!(
        sm["spec"]["endpoints"][0]["port"] == "http"
            && sm["spec"]["endpoints"][0]["path"] == "/metrics",
        "endpoints {}",
        sm["spec"]["endpoints"]
    );
    Ok(())
}

// ---- helm lint and rendering ----------------------------------------------------

fn custom_values(compat_ns: &str, watch_ns: &str) -> String {
    format!(
        r#"
image: {{repository: registry.example.com/ml/voda-scheduler, tag: "0.1.0-rc1", pullPolicy: Always}}
imagePullSecrets: [{{name: regcred}}]
compatNamespace: {compat_ns}
logLevel: "info,voda_scheduler=debug"
commonLabels: {{team: ml-platform}}
manager: {{replicas: 2, port: 8080}}
scheduler: {{replicas: 2, port: 8081, watchNamespace: {watch_ns}}}
gpuTypes:
  - name: nvidia-tesla-a100
    policy:
      algorithm: ElasticTiresias
      rateLimitSeconds: 10
      placement: {{enabled: true, binding: LegacyTaints}}
      tiresias: {{queueThresholds: [1800, 7200], promoteKnob: 4, compactionThreshold: 5}}
  - name: nvidia-h100
serviceMonitor: {{enabled: true, interval: 15s, labels: {{release: prometheus}}}}
networkPolicy:
  ingressFrom:
    - namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: monitoring}}}}
  apiServer: {{ports: [6443], cidrs: [10.0.0.1/32]}}
"#
    )
}

#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn helm_lint_passes_and_refuses_a_bad_gpu_type() -> Result<()> {
    let chart = chart_dir().to_string_lossy().into_owned();
    helm(&["lint", "--strict", &chart])?;
    let values = temp_file("lint-values.yaml", &custom_values("ml-jobs", "ml-jobs"))?;
    let values_s = values.to_string_lossy().into_owned();
    let linted = helm(&["lint", "--strict", &chart, "--values", &values_s]);
    let _ = std::fs::remove_file(&values);
    linted?;
    // A GPU type that cannot name a Service fails the rendering, naming it.
    let bad = render(
        "bad",
        "voda-scheduler",
        "gpuTypes: [{name: Tesla_V100}]",
        false,
    );
    let msg = format!("{:#}", bad.err().context("Tesla_V100 was accepted")?);
    ensure!(
        msg.contains("Tesla_V100") && msg.contains("DNS label"),
        "{msg}"
    );
    let long = "a".repeat(50);
    let bad = render(
        "bad",
        "voda-scheduler",
        &format!("gpuTypes: [{{name: {long}}}]"),
        false,
    );
    let msg = format!(
        "{:#}",
        bad.err().context("a 50-character GPU type was accepted")?
    );
    ensure!(msg.contains("longer than 49"), "{msg}");
    let bad = render(
        "bad",
        "voda-scheduler",
        "gpuTypes: [{name: manager}]",
        false,
    );
    let msg = format!(
        "{:#}",
        bad.err().context("GPU type `manager` was accepted")?
    );
    ensure!(msg.contains("would share"), "{msg}");
    Ok(())
}

#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn chart_with_default_values_is_accepted_by_a_server_dry_run() -> Result<()> {
    let client = crate::client().await?;
    let ns = TestNamespace::new(&client, "chart-default").await?;
    let text = render("voda-scheduler", &ns.name, "{}", true)?;
    let docs = yaml_docs(&text)?;
    check_rendering(
        &docs,
        &Expect {
            release_ns: &ns.name,
            compat_ns: &ns.name,
            watch_ns: None,
            gpu_types: &[("nvidia-gtx-1080ti", true), ("nvidia-tesla-v100", true)],
            manager_port: 55587,
            scheduler_port: 55588,
        },
    )?;
    ensure!(
        of_kind(&docs, "ServiceMonitor").is_empty(),
        "ServiceMonitor rendered though off by default"
    );
    // Every file of crds/ is in the chart (tests/crds_up_to_date.rs checks the bytes).
    let crds: BTreeSet<&str> = of_kind(&docs, "CustomResourceDefinition")
        .into_iter()
        .map(name)
        .collect();
    ensure!(
        crds == BTreeSet::from([
            "trainingjobs.vodascheduler.io",
            "schedulerpolicies.vodascheduler.io",
            "categoryprofiles.vodascheduler.io"
        ]),
        "CRDs {crds:?}"
    );
    let all: Vec<&Value> = docs.iter().collect();
    let out = kubectl_apply(&all, false)?;
    ensure!(out.contains("serverside-applied (server dry run)"), "{out}");
    Ok(())
}

#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn chart_with_custom_values_is_accepted_by_a_server_dry_run() -> Result<()> {
    let client = crate::client().await?;
    let release_ns = TestNamespace::new(&client, "chart-custom").await?;
    let compat_ns = TestNamespace::new(&client, "chart-compat").await?;
    let watch_ns = TestNamespace::new(&client, "chart-watch").await?;
    let values = custom_values(&compat_ns.name, &watch_ns.name);
    let docs = yaml_docs(&render("ml", &release_ns.name, &values, true)?)?;
    check_rendering(
        &docs,
        &Expect {
            release_ns: &release_ns.name,
            compat_ns: &compat_ns.name,
            watch_ns: Some(&watch_ns.name),
            gpu_types: &[("nvidia-tesla-a100", true), ("nvidia-h100", false)],
            manager_port: 8080,
            scheduler_port: 8081,
        },
    )?;
    check_service_monitor(&docs)?;
    // Scoped to one namespace, the schedulers get pods, MPIJobs and TrainingJobs
    // there only; cluster-wide they keep just the nodes.
    let shared = of_kind(&docs, "ClusterRole")
        .into_iter()
        .find(|r| name(r) == "ml-voda-scheduler-scheduler")
        .context("the schedulers' ClusterRole")?;
    ensure!(
        shared["rules"]
            == json!([{"apiGroups": [""], "resources": ["nodes"], "verbs": ["list", "watch"]}]),
        "scheduler ClusterRole {}",
        shared["rules"]
    );
    let roles: BTreeSet<(String, String)> = of_kind(&docs, "Role")
        .into_iter()
        .map(|r| {
            (
                r["metadata"]["namespace"].as_str().unwrap_or("").to_owned(),
                name(r).to_owned(),
            )
        })
        .collect();
    for (ns, role) in [
        (&watch_ns.name, "ml-voda-scheduler-scheduler"),
        (&compat_ns.name, "ml-voda-scheduler-scheduler-compat"),
        (&compat_ns.name, "ml-voda-scheduler-manager-compat"),
        (&release_ns.name, "ml-voda-scheduler-manager-lease"),
        (&release_ns.name, "ml-voda-scheduler-nvidia-h100-lease"),
    ] {
        ensure!(
            roles.contains(&(ns.clone(), role.to_owned())),
            "no Role {ns}/{role} in {roles:?}"
        );
    }
    let applicable: Vec<&Value> = docs
        .iter()
        .filter(|d| kind(d) != "ServiceMonitor")
        .collect();
    let out = kubectl_apply(&applicable, false)?;
    ensure!(out.contains("serverside-applied (server dry run)"), "{out}");

    // The scoped RBAC for real: what the ServiceAccounts may do where.
    let rbac: Vec<&Value> = docs.iter().filter(|d| is_rbac(d)).collect();
    let checked = async {
        kubectl_apply(&rbac, true)?;
        let (rel, watch, compat) = (&release_ns.name, &watch_ns.name, &compat_ns.name);
        let sched = "ml-voda-scheduler-nvidia-h100";
        let manager = "ml-voda-scheduler-manager";
        let in_ns = |ns: &str| format!("--namespace={ns}");
        for (sa, args, want) in [
            (
                sched,
                vec!["patch".to_owned(), "pods".to_owned(), in_ns(watch)],
                true,
            ),
            (
                sched,
                vec!["patch".to_owned(), "pods".to_owned(), in_ns(rel)],
                false,
            ),
            (
                sched,
                vec![
                    "create".to_owned(),
                    "mpijobs.kubeflow.org".to_owned(),
                    in_ns(watch),
                ],
                true,
            ),
            (
                sched,
                vec![
                    "create".to_owned(),
                    "mpijobs.kubeflow.org".to_owned(),
                    in_ns(compat),
                ],
                false,
            ),
            (
                sched,
                vec![
                    "watch".to_owned(),
                    "trainingjobs.vodascheduler.io".to_owned(),
                    in_ns(compat),
                ],
                true,
            ),
            (
                sched,
                vec![
                    "watch".to_owned(),
                    "trainingjobs.vodascheduler.io".to_owned(),
                    "--all-namespaces".to_owned(),
                ],
                false,
            ),
            (sched, vec!["watch".to_owned(), "nodes".to_owned()], true),
            (
                sched,
                vec![
                    "patch".to_owned(),
                    "schedulerpolicies.vodascheduler.io/nvidia-h100".to_owned(),
                ],
                true,
            ),
            (
                sched,
                vec![
                    "patch".to_owned(),
                    "schedulerpolicies.vodascheduler.io/nvidia-tesla-a100".to_owned(),
                ],
                false,
            ),
            (
                manager,
                vec![
                    "delete".to_owned(),
                    "trainingjobs.vodascheduler.io".to_owned(),
                    in_ns(compat),
                ],
                true,
            ),
            (
                manager,
                vec![
                    "delete".to_owned(),
                    "trainingjobs.vodascheduler.io".to_owned(),
                    in_ns(rel),
                ],
                false,
            ),
            (
                manager,
                vec![
                    "patch".to_owned(),
                    "leases/voda-scheduler-manager".to_owned(),
                    in_ns(rel),
                ],
                true,
            ),
            // The manager has no namespace flag: credentials and category
            // profiles in every namespace, whatever the schedulers watch.
            (
                manager,
                vec!["create".to_owned(), "secrets".to_owned(), in_ns(rel)],
                true,
            ),
            (
                manager,
                vec![
                    "update".to_owned(),
                    "categoryprofiles.vodascheduler.io".to_owned(),
                    in_ns(watch),
                ],
                true,
            ),
            (
                sched,
                vec!["get".to_owned(), "secrets".to_owned(), in_ns(watch)],
                false,
            ),
            (
                sched,
                vec![
                    "list".to_owned(),
                    "categoryprofiles.vodascheduler.io".to_owned(),
                    in_ns(watch),
                ],
                false,
            ),
        ] {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let got = can_i(rel, sa, &args)?;
            ensure!(got == want, "{sa} can-i {args:?}: {got}, want {want}");
        }
        anyhow::Ok(())
    }
    .await;
    delete_cluster_scoped(&client, "ml").await;
    checked
}

fn is_rbac(doc: &Value) -> bool {
    [
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
    ]
    .contains(&kind(doc))
}

/// The release's ClusterRoles and ClusterRoleBindings (they outlive its namespaces).
async fn delete_cluster_scoped(client: &kube::Client, release: &str) {
    let lp = ListParams::default().labels(&format!("app.kubernetes.io/instance={release}"));
    let _ = Api::<ClusterRoleBinding>::all(client.clone())
        .delete_collection(&DeleteParams::default(), &lp)
        .await;
    let _ = Api::<ClusterRole>::all(client.clone())
        .delete_collection(&DeleteParams::default(), &lp)
        .await;
}

/// The operator's command itself: `helm install` stores a release (the TrainingJob
/// CRD in it is about 440 KB) over CRDs that already exist, its Deployments become
/// available (kwok plays their pods: there is no container runtime to run the
/// image), and `helm uninstall` removes everything including the cluster-scoped RBAC.
#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn helm_install_and_uninstall_a_release() -> Result<()> {
    let client = crate::client().await?;
    let ns = TestNamespace::new(&client, "chart-install").await?;
    // A GPU type of its own: the chart's SchedulerPolicies are cluster-wide.
    let gpu = format!("{}-gpu", ns.name);
    let values = temp_file(
        "install-values.yaml",
        &format!("gpuTypes: [{{name: {gpu}, policy: {{algorithm: FIFO}}}}]"),
    )?;
    let values_s = values.to_string_lossy().into_owned();
    let chart = chart_dir().to_string_lossy().into_owned();
    let release = "voda-scheduler";
    let installed = helm(&[
        "install",
        release,
        &chart,
        "--namespace",
        &ns.name,
        "--values",
        &values_s,
        "--wait",
        "--timeout",
        "120s",
    ]);
    let _ = std::fs::remove_file(&values);
    let checked = async {
        installed?;
        let status = helm(&["status", release, "--namespace", &ns.name])?;
        ensure!(status.contains("STATUS: deployed"), "{status}");
        let out = kubectl(&["get", "deployments", "--namespace", &ns.name, "-o", "name"])?;
        let names: BTreeSet<&str> = out.stdout.lines().collect();
        let want_scheduler = format!("deployment.apps/voda-scheduler-{gpu}");
        let want = BTreeSet::from([
            "deployment.apps/voda-scheduler-manager",
            want_scheduler.as_str(),
        ]);
        ensure!(names == want, "Deployments {names:?}");
        let sp = kubectl(&[
            "get",
            "schedulerpolicy",
            &gpu,
            "-o",
            "jsonpath={.spec.algorithm}",
        ])?;
        ensure!(sp.ok && sp.stdout == "FIFO", "{} {}", sp.stdout, sp.stderr);
        helm(&["uninstall", release, "--namespace", &ns.name, "--wait"])?;
        let left = Api::<ClusterRole>::all(client.clone())
            .list(&ListParams::default().labels(&format!("app.kubernetes.io/instance={release}")))
            .await?;
        ensure!(left.items.is_empty(), "ClusterRoles left after uninstall");
        let sp = kubectl(&[
            "get",
            "schedulerpolicy",
            &gpu,
            "--ignore-not-found",
            "-o",
            "name",
        ])?;
        ensure!(
            sp.ok && sp.stdout.trim().is_empty(),
            "policy left: {}",
            sp.stdout
        );
        anyhow::Ok(())
    }
    .await;
    if checked.is_err() {
        let _ = helm(&["uninstall", release, "--namespace", &ns.name]);
        delete_cluster_scoped(&client, release).await;
    }
    checked
}

// ---- the chart's RBAC on a live story --------------------------------------------

/// A kubeconfig for the admin kubeconfig's cluster that authenticates with a
/// TokenRequest token of ServiceAccount `namespace/sa`, as a pod of it would.
async fn service_account_kubeconfig(
    client: &kube::Client,
    namespace: &str,
    sa: &str,
) -> Result<PathBuf> {
    let request: TokenRequest = serde_json::from_value(json!({
        "spec": {"audiences": [], "expirationSeconds": 3600}
    }))?;
    let token = Api::<ServiceAccount>::namespaced(client.clone(), namespace)
        .create_token_request(sa, &PostParams::default(), &request)
        .await
        .with_context(|| format!("TokenRequest for {namespace}/{sa}"))?
        .status
        .context("TokenRequest without status")?
        .token;
    let admin = std::fs::read_to_string(kubeconfig_path())?;
    let mut config: Value = serde_norway::from_str(&admin)?;
    let cluster = config["contexts"][0]["context"]["cluster"].clone();
    config["users"] = json!([{"name": sa, "user": {"token": token}}]);
    config["contexts"] =
        json!([{"name": sa, "context": {"cluster": cluster, "user": sa, "namespace": namespace}}]);
    config["current-context"] = json!(sa);
    temp_file(
        &format!("{sa}.kubeconfig"),
        &serde_norway::to_string(&config)?,
    )
}

/// `kubectl auth can-i` as ServiceAccount `ns/sa`.
fn can_i(ns: &str, sa: &str, args: &[&str]) -> Result<bool> {
    let who = format!("--as=system:serviceaccount:{ns}:{sa}");
    let mut all = vec!["auth", "can-i"];
    all.extend_from_slice(args);
    all.push(&who);
    let out = Command::new(kubectl_binary())
        .arg("--kubeconfig")
        .arg(kubeconfig_path())
        .args(&all)
        .output()
        .context("running kubectl auth can-i")?;
    match String::from_utf8_lossy(&out.stdout).trim() {
        "yes" => Ok(true),
        "no" => Ok(false),
        other => bail!(
            "kubectl {}: {other} {}",
            all.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

fn curl(method: &str, url: &str, body: Option<&str>) -> Result<(u16, String)> {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-o", "-", "-w", "\n%{http_code}", "-X", method, url]);
    if let Some(b) = body {
        cmd.args(["--data-binary", b]);
    }
    let out = cmd.output().context("running curl")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').context("curl printed no status")?;
    Ok((code.trim().parse().unwrap_or(0), body.to_owned()))
}

/// Lines of a process log that say the API server refused it.
fn forbidden_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| {
            let lower = l.to_ascii_lowercase();
            lower.contains("forbidden")
                || lower.contains("code: 403")
                || lower.contains("with 403")
                || lower.contains("error 403")
        })
        .collect()
}

fn last_lines(log: &str, n: usize) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

const T: Duration = Duration::from_secs(60);

/// The manager and a scheduler authenticated as the chart's ServiceAccounts (the
/// RBAC of a `helm template` with default values but this story's GPU type, and the
/// manager's --progress-url from its Deployment) run the elastic story, the old
/// API's calls, the manager's no-policy warning, progress reports with the jobs'
/// credentials and the learning of a category profile, and no API call of theirs
/// is refused.
#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn chart_rbac_runs_manager_and_scheduler_without_forbidden() -> Result<()> {
    let mut s = Story::new("chart-rbac").await?;
    let release_ns = TestNamespace::new(&s.client, "chart-rbac-rel").await?;
    let rel = release_ns.name.clone();
    s.lease_ns = rel.clone();
    let release = format!("r{}", &s.gpu[s.gpu.len() - 6..]);
    s.nodes(2, 4).await?;

    let values = format!(
        "gpuTypes: [{{name: {}, policy: {{algorithm: ElasticFIFO, rateLimitSeconds: 1}}}}]",
        s.gpu
    );
    let docs = yaml_docs(&render(&release, &rel, &values, false)?)?;
    let progress_url = of_kind(&docs, "Deployment")
        .into_iter()
        .flat_map(|d| d["spec"]["template"]["spec"]["containers"][0]["args"].as_array())
        .flatten()
        .find_map(|a| a.as_str()?.strip_prefix("--progress-url="))
        .context("no --progress-url in the rendered Deployments")?
        .to_owned();
    // ServiceAccounts, RBAC and the policy; the processes run on this host (the
    // local cluster has no container runtime) instead of the Deployments.
    let applied: Vec<&Value> = docs
        .iter()
        .filter(|d| is_rbac(d) || kind(d) == "SchedulerPolicy")
        .collect();
    ensure!(
        applied.len() >= 13,
        "too few RBAC objects: {}",
        applied.len()
    );
    let result = async {
        kubectl_apply(&applied, true)?;
        story_as_service_accounts(&s, &rel, &release, &progress_url).await
    }
    .await;
    // Cluster-scoped objects outlive the namespaces; remove them either way.
    delete_cluster_scoped(&s.client, &release).await;
    result?;
    s.cleanup().await
}

async fn story_as_service_accounts(
    s: &Story,
    rel: &str,
    release: &str,
    progress_url: &str,
) -> Result<()> {
    let manager_sa = format!("{release}-voda-scheduler-manager");
    let scheduler_sa = format!("{release}-voda-scheduler-{}", s.gpu);

    // What the chart grants and withholds, as the API server decides it.
    let jobs_ns = format!("--namespace={}", s.ns);
    let rel_ns = format!("--namespace={rel}");
    let own_policy = format!("schedulerpolicies.vodascheduler.io/{}", s.gpu);
    let own_lease = format!("leases/voda-scheduler-{}", s.gpu);
    for (sa, args, want) in [
        (
            &scheduler_sa,
            vec!["delete", "mpijobs.kubeflow.org", &jobs_ns],
            true,
        ),
        (
            &scheduler_sa,
            vec!["deletecollection", "pods", &jobs_ns],
            true,
        ),
        (&scheduler_sa, vec!["patch", &own_policy], true),
        (
            &scheduler_sa,
            vec!["patch", "schedulerpolicies.vodascheduler.io/other-gpu"],
            false,
        ),
        (&scheduler_sa, vec!["patch", &own_lease, &rel_ns], true),
        (
            &scheduler_sa,
            vec!["patch", "leases/voda-scheduler-manager", &rel_ns],
            false,
        ),
        (&scheduler_sa, vec!["patch", "nodes"], false),
        (
            &scheduler_sa,
            vec!["create", "trainingjobs.vodascheduler.io", &jobs_ns],
            false,
        ),
        (&scheduler_sa, vec!["get", "secrets", &jobs_ns], false),
        // A starting job is read whole (the cache drops its pod templates).
        (
            &scheduler_sa,
            vec!["get", "trainingjobs.vodascheduler.io", &jobs_ns],
            true,
        ),
        (
            &manager_sa,
            vec!["create", "trainingjobs.vodascheduler.io", &rel_ns],
            true,
        ),
        (
            &manager_sa,
            vec!["create", "trainingjobs.vodascheduler.io", &jobs_ns],
            false,
        ),
        (
            &manager_sa,
            vec![
                "patch",
                "trainingjobs.vodascheduler.io",
                &jobs_ns,
                "--subresource=status",
            ],
            true,
        ),
        (
            &manager_sa,
            vec!["create", "mpijobs.kubeflow.org", &jobs_ns],
            false,
        ),
        (&manager_sa, vec!["list", "pods", &jobs_ns], false),
        (
            &manager_sa,
            vec!["get", "trainingjobs.vodascheduler.io", &jobs_ns],
            true,
        ),
        (
            &manager_sa,
            vec!["watch", "secrets", "--all-namespaces"],
            true,
        ),
        (&manager_sa, vec!["delete", "secrets", &jobs_ns], true),
        (&manager_sa, vec!["update", "secrets", &jobs_ns], false),
        (
            &manager_sa,
            vec!["update", "categoryprofiles.vodascheduler.io", &jobs_ns],
            true,
        ),
        (
            &manager_sa,
            vec!["delete", "categoryprofiles.vodascheduler.io", &jobs_ns],
            false,
        ),
        (
            &scheduler_sa,
            vec!["list", "categoryprofiles.vodascheduler.io", &jobs_ns],
            false,
        ),
    ] {
        let got = can_i(rel, sa, &args)?;
        ensure!(got == want, "{sa} can-i {args:?}: {got}, want {want}");
    }

    let log = "info,voda_scheduler=debug,kube=warn";
    let manager_kc = service_account_kubeconfig(&s.client, rel, &manager_sa).await?;
    let scheduler_kc = service_account_kubeconfig(&s.client, rel, &scheduler_sa).await?;
    let compat = format!("--compat-namespace={rel}");
    let progress = format!("--progress-url={progress_url}");
    let manager = s.spawn_with("manager", &[&compat, &progress], &manager_kc, log)?;
    let scheduler = s.spawn_with("scheduler", &[&compat], &scheduler_kc, log)?;
    let outcome = run_story(s, rel, &manager, &scheduler, progress_url).await;
    let _ = std::fs::remove_file(&manager_kc);
    let _ = std::fs::remove_file(&scheduler_kc);
    let (mlog, slog) = (manager.log_text(), scheduler.log_text());
    if let Err(e) = outcome {
        let mut refused = forbidden_lines(&mlog);
        refused.extend(forbidden_lines(&slog));
        refused.truncate(10);
        bail!(
            "{e:#}\nrefused calls (first 10): {refused:#?}\nmanager log, last lines:\n{}\nscheduler log, last lines:\n{}",
            last_lines(&mlog, 30),
            last_lines(&slog, 30)
        );
    }
    for (who, text) in [("manager", &mlog), ("scheduler", &slog)] {
        ensure!(
            text.contains("became leader"),
            "the {who} never led; its log:\n{text}"
        );
        let refused = forbidden_lines(text);
        ensure!(refused.is_empty(), "the {who} was refused: {refused:#?}");
    }
    Ok(())
}

fn ready(p: &Proc) -> bool {
    curl("GET", &format!("http://127.0.0.1:{}/readyz", p.port), None)
        .is_ok_and(|(code, _)| code == 200)
}

/// The token of job `ns/job`'s progress credential (read as the admin), once the
/// manager created it, after checking it holds the report URL under `base`.
async fn progress_token(s: &Story, ns: &str, job: &str, base: &str) -> Result<String> {
    let secrets: Api<Secret> = Api::namespaced(s.client.clone(), ns);
    let name = format!("{job}-voda-progress");
    s.eventually(&format!("credential {ns}/{name}"), T, || async {
        Ok(secrets.get_opt(&name).await?.is_some())
    })
    .await?;
    let data = secrets.get(&name).await?.data.unwrap_or_default();
    let value = |k: &str| {
        data.get(k)
            .map(|b| String::from_utf8_lossy(&b.0).into_owned())
            .unwrap_or_default()
    };
    let want = format!("{base}/training/{ns}/{job}/progress");
    ensure!(
        value("url") == want,
        "{name}: url {:?}, want {want}",
        value("url")
    );
    let token = value("token");
    ensure!(token.len() == 64, "{name}: token of {} bytes", token.len());
    Ok(token)
}

/// POST one epoch's report for `ns/job` to the manager with `token`; the reply's
/// JSON, failing unless 200.
fn report_progress(
    manager: &Proc,
    ns: &str,
    job: &str,
    token: &str,
    (epoch, workers, secs): (u32, u32, f64),
) -> Result<Value> {
    let url = format!(
        "http://127.0.0.1:{}/training/{ns}/{job}/progress",
        manager.port
    );
    let body = json!({"epoch": epoch, "workers": workers, "epochSeconds": secs}).to_string();
    let out = Command::new("curl")
        .args(["-s", "-o", "-", "-w", "\n%{http_code}", "-X", "POST"])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .args(["--data-binary", &body, &url])
        .output()
        .context("running curl")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (reply, code) = text.rsplit_once('\n').context("curl printed no status")?;
    ensure!(
        code.trim() == "200",
        "report {ns}/{job} {body}: {code} {reply}"
    );
    Ok(serde_json::from_str(reply)?)
}

async fn run_story(
    s: &Story,
    rel: &str,
    manager: &Proc,
    scheduler: &Proc,
    progress_url: &str,
) -> Result<()> {
    s.eventually("both processes ready", T, || async {
        Ok(ready(manager) && ready(scheduler))
    })
    .await?;
    let m = format!("http://127.0.0.1:{}", manager.port);
    let sch = format!("http://127.0.0.1:{}", scheduler.port);

    // A job in the story's namespace takes all 8 GPUs.
    s.submit("first", 1, 8).await?;
    s.expect_jobs(&[("first", "Running", 8)], T).await?;

    // The manager gave it a progress credential; a report with its token is taken
    // and learned into its status.profile (field manager voda-scheduler-profiles).
    let first_token = progress_token(s, &s.ns, "first", progress_url).await?;
    let reply = report_progress(manager, &s.ns, "first", &first_token, (1, 8, 20.0))?;
    ensure!(reply["currentEpoch"] == 1, "report reply {reply}");
    let profile = s.job("first").await?["status"]["profile"].clone();
    ensure!(
        profile["source"] == "Measured"
            && profile["currentEpoch"] == 1
            && profile["measured"][0]["workers"] == 8,
        "first's profile after a report: {profile}"
    );

    // A second one through the old API lands in the compat (release) namespace and
    // they split 4/4, each packed on one node (placement lifts the pods' gates).
    let job = json!({
        "apiVersion": "vodascheduler.io/v1alpha1",
        "kind": "TrainingJob",
        "metadata": {"name": "second"},
        "spec": {"gpuType": s.gpu, "workers": {"min": 1, "max": 8}, "mpiJob": {"mpiReplicaSpecs": {
            "Launcher": {"template": {"spec": {"containers": [{"name": "l", "image": "horovod/horovod:latest"}]}}},
            "Worker": {"template": {"spec": {"containers": [{"name": "w", "image": "horovod/horovod:latest",
                "resources": {"limits": {"nvidia.com/gpu": 1}}}]}}}
        }}}
    });
    let (code, reply) = curl(
        "POST",
        &format!("{m}/training"),
        Some(&serde_norway::to_string(&job)?),
    )?;
    ensure!(code == 200, "POST /training: {code} {reply}");
    let second = reply
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("Training job created: "))
        .with_context(|| format!("POST /training replied {reply:?}"))?
        .trim()
        .to_owned();
    let rel_jobs: Api<DynamicObject> = Api::namespaced_with(s.client.clone(), rel, &tj_resource());
    let phase_workers = |v: &DynamicObject| {
        (
            v.data["status"]["phase"].as_str().unwrap_or("").to_owned(),
            v.data["status"]["workers"].as_u64().unwrap_or(0),
        )
    };
    s.expect_jobs(&[("first", "Running", 4)], T).await?;
    s.eventually(&format!("{second} Running with 4"), T, || async {
        Ok(phase_workers(&rel_jobs.get(&second).await?) == ("Running".to_owned(), 4))
    })
    .await?;
    s.eventually("first's 4 workers on one node", T, || async {
        let by_node = s.workers_by_node("first").await?;
        Ok(by_node.len() == 1 && by_node.values().sum::<usize>() == 4)
    })
    .await?;
    // Reported at 4 workers too; the old API's job in the release namespace has a
    // credential of its own there.
    let reply = report_progress(manager, &s.ns, "first", &first_token, (2, 4, 30.0))?;
    ensure!(reply["currentEpoch"] == 2, "report reply {reply}");
    let second_token = progress_token(s, rel, &second, progress_url).await?;
    ensure!(second_token != first_token, "two jobs share a token");

    // The old API on both processes: tables, and the policy changed through the
    // scheduler's ServiceAccount.
    let (code, table) = curl("GET", &format!("{sch}/training"), None)?;
    ensure!(
        code == 200 && table.contains(&second),
        "scheduler GET /training: {code} {table}"
    );
    let (code, table) = curl("GET", &format!("{m}/training"), None)?;
    ensure!(
        code == 200 && table.contains(&second),
        "manager GET /training: {code} {table}"
    );
    let (code, reply) = curl("PUT", &format!("{sch}/ratelimit"), Some("2"))?;
    ensure!(
        code == 200 && reply.contains("Re-scheduling ratelimit (sec): 2"),
        "PUT /ratelimit: {code} {reply}"
    );
    let policies: Api<DynamicObject> = Api::all_with(
        s.client.clone(),
        &kube::core::ApiResource::from_gvk_with_plural(
            &kube::core::GroupVersionKind::gvk("vodascheduler.io", "v1alpha1", "SchedulerPolicy"),
            "schedulerpolicies",
        ),
    );
    let policy = policies.get(&s.gpu).await?;
    ensure!(
        policy.data["spec"]["rateLimitSeconds"] == 2,
        "rateLimitSeconds {}",
        policy.data["spec"]
    );
    // The scheduler writes the policy's status (its own subresource permission).
    s.eventually("the policy's status", T, || async {
        Ok(policies.get(&s.gpu).await?.data["status"]["gpusTotal"] == 8)
    })
    .await?;

    // The first completes; the second grows to all 8 GPUs.
    s.finish("first", "Succeeded").await?;
    s.expect_jobs(&[("first", "Completed", 0)], T).await?;
    s.eventually(&format!("{second} Running with 8"), T, || async {
        Ok(phase_workers(&rel_jobs.get(&second).await?) == ("Running".to_owned(), 8))
    })
    .await?;
    let events = s.events("first").await?;
    for reason in ["Waiting", "Started", "Scaled", "Completed"] {
        ensure!(
            events.iter().any(|e| e == reason),
            "first's events {events:?}"
        );
    }
    let first = s.job("first").await?;
    ensure!(
        first["status"]["conditions"].as_array().is_some_and(|cs| cs
            .iter()
            .any(|c| c["type"] == "PolicyFound" && c["status"] == "True")),
        "the manager did not stamp PolicyFound: {}",
        first["status"]
    );
    // Finished, first teaches its category (created), and is marked as learned.
    let categories: Api<DynamicObject> = Api::namespaced_with(
        s.client.clone(),
        &s.ns,
        &kube::core::ApiResource::from_gvk_with_plural(
            &kube::core::GroupVersionKind::gvk("vodascheduler.io", "v1alpha1", "CategoryProfile"),
            "categoryprofiles",
        ),
    );
    let category = format!("{}.first", s.gpu);
    let category_jobs = || async {
        let c = categories.get_opt(&category).await?;
        anyhow::Ok(c.map_or(0, |c| c.data["spec"]["jobs"].as_u64().unwrap_or(0)))
    };
    s.eventually("CategoryProfile of first, from 1 job", T, || async {
        Ok(category_jobs().await? == 1)
    })
    .await?;
    s.eventually("first marked as learned", T, || async {
        Ok(s.job("first").await?["status"]["profile"]["learnedIntoCategory"] == true)
    })
    .await?;

    // The manager's Warning for a job whose GPU type has no policy.
    let orphan_gpu = format!("{}-none", s.gpu);
    s.submit_with(
        "orphan",
        json!({"min": 1, "max": 1}),
        json!({"gpuType": orphan_gpu}),
    )
    .await?;
    s.eventually("orphan's NoSchedulerPolicy Warning", T, || async {
        Ok(s.events("orphan")
            .await?
            .iter()
            .any(|e| e == "NoSchedulerPolicy"))
    })
    .await?;

    // DELETE through the old API; its MPIJob goes with it.
    let (code, reply) = curl(
        "DELETE",
        &format!("{m}/training"),
        Some(&format!("\"{second}\"")),
    )?;
    ensure!(code == 200, "DELETE /training: {code} {reply}");
    s.eventually(&format!("{second} gone"), T, || async {
        Ok(rel_jobs.get_opt(&second).await?.is_none())
    })
    .await?;

    // A new job of first's category starts from its profile, reports, finishes,
    // and the category is updated (a conditional update of the existing object).
    s.submit_with(
        "again",
        json!({"min": 1, "max": 8}),
        json!({"category": "first"}),
    )
    .await?;
    s.eventually("again Running from the category's profile", T, || async {
        let j = s.job("again").await?;
        Ok(j["status"]["phase"] == "Running" && j["status"]["profile"]["source"] == "Category")
    })
    .await?;
    let again_token = progress_token(s, &s.ns, "again", progress_url).await?;
    report_progress(manager, &s.ns, "again", &again_token, (1, 8, 25.0))?;
    s.finish("again", "Succeeded").await?;
    s.eventually("CategoryProfile of first, from 2 jobs", T, || async {
        Ok(category_jobs().await? == 2)
    })
    .await?;
    Ok(())
}
