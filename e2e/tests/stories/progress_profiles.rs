//! Issue #7: jobs report their progress to the manager with their own token; the
//! learned profile shows in the TrainingJob status, moves SRJF's order, survives the
//! processes, and a finished job's category profile is where a new job starts.
//! Every bad report is refused and changes nothing.

use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DynamicObject};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{Value, json};

use super::{Proc, Story};

const T: Duration = Duration::from_secs(60);
const PROGRESS_URL: &str = "http://voda-manager.example:55587";

/// POST `body` to the manager's progress route of `job`; (status code, reply).
fn post(
    manager: &Proc,
    ns: &str,
    job: &str,
    token: Option<&str>,
    body: &str,
) -> Result<(u16, String)> {
    let url = format!(
        "http://127.0.0.1:{}/training/{ns}/{job}/progress",
        manager.port
    );
    let mut cmd = Command::new("curl");
    cmd.args([
        "-sS",
        "-o",
        "-",
        "-w",
        "\n%{http_code}",
        "-X",
        "POST",
        "--data-binary",
        body,
    ]);
    if let Some(t) = token {
        cmd.args(["-H", &format!("Authorization: Bearer {t}")]);
    }
    let out = cmd.arg(&url).output().context("running curl")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (reply, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    Ok((code.trim().parse().unwrap_or(0), reply.to_owned()))
}

/// A JSON array of numbers (the API server writes 1.0 as 1).
fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_f64)
        .collect()
}

fn report(epoch: u32, workers: u32, epoch_seconds: f64) -> String {
    json!({"epoch": epoch, "workers": workers, "epochSeconds": epoch_seconds, "stepSeconds": 0.5})
        .to_string()
}

async fn token(s: &Story, job: &str) -> Result<(String, Value)> {
    let secrets: Api<Secret> = Api::namespaced(s.client.clone(), &s.ns);
    let name = format!("{job}-voda-progress");
    s.eventually(&format!("credential {name}"), T, || async {
        Ok(secrets.get_opt(&name).await?.is_some())
    })
    .await?;
    let secret = secrets.get(&name).await?;
    let data = secret.data.clone().unwrap_or_default();
    let token = data
        .get("token")
        .map(|b| String::from_utf8_lossy(&b.0).into_owned())
        .unwrap_or_default();
    Ok((token, serde_json::to_value(&secret)?))
}

async fn manager(s: &Story) -> Result<Proc> {
    let m = s.spawn(
        "manager",
        &["--compat-namespace", &s.ns, "--progress-url", PROGRESS_URL],
    )?;
    // Ready once its job cache is filled; the controller then leads within seconds.
    s.eventually("manager ready", T, || async {
        Ok(Command::new("curl")
            .args(["-sf", &format!("http://127.0.0.1:{}/readyz", m.port)])
            .output()?
            .status
            .success())
    })
    .await?;
    Ok(m)
}

#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn progress_reports_teach_profiles_that_move_srjf_and_start_new_jobs() -> Result<()> {
    let mut s = Story::new("profiles").await?;
    s.nodes(1, 1).await?;
    s.policy(json!({"algorithm": "SRJF", "rateLimitSeconds": 1}))
        .await?;
    let mut sched = s.scheduler()?;
    let mut mgr = manager(&s).await?;
    let one = json!({"min": 1, "max": 1});
    let ns = s.ns.clone();

    // Nothing known: both estimates are 0, so SRJF keeps submission order.
    s.submit_with("a", one.clone(), json!({"epochs": 10, "category": "mnist"}))
        .await?;
    s.expect_jobs(&[("a", "Running", 1)], T).await?;
    s.submit_with("b", one.clone(), json!({"epochs": 10, "category": "bert"}))
        .await?;
    s.expect_jobs(&[("a", "Running", 1), ("b", "Waiting", 0)], T)
        .await?;

    // Each job has its own credential, owned by it, with the URL to report to.
    let (token_a, secret_a) = token(&s, "a").await?;
    let (token_b, _) = token(&s, "b").await?;
    assert_eq!(token_a.len(), 64);
    assert_ne!(token_a, token_b);
    let owner = &secret_a["metadata"]["ownerReferences"][0];
    assert_eq!(owner["kind"], "TrainingJob");
    assert_eq!(owner["name"], "a");
    let url = secret_a["data"]["url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!url.is_empty(), "{secret_a}");
    // The launcher of a's MPIJob reads both from the Secret.
    let mpijobs: Api<DynamicObject> = Api::namespaced_with(
        s.client.clone(),
        &ns,
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("kubeflow.org", "v2beta1", "MPIJob"),
            "mpijobs",
        ),
    );
    let mj = serde_json::to_value(mpijobs.get("a").await?)?;
    let env = mj["spec"]["mpiReplicaSpecs"]["Launcher"]["template"]["spec"]["containers"][0]["env"]
        .to_string();
    assert!(
        env.contains(r#""name":"VODA_PROGRESS_TOKEN","valueFrom":{"secretKeyRef":{"key":"token","name":"a-voda-progress""#),
        "{env}"
    );

    // Every bad report is refused, naming what is wrong, and changes nothing.
    let before = s.job("a").await?;
    let bad: [(Option<&str>, String, u16, &str); 10] = [
        (None, report(1, 1, 100.0), 401, "token"),
        (
            Some(&token_b),
            report(1, 1, 100.0),
            403,
            "not the progress token",
        ),
        (
            Some("0000"),
            report(1, 1, 100.0),
            403,
            "not the progress token",
        ),
        (
            Some(&token_a),
            r#"{"epoch": 1, "workers": 1"#.into(),
            400,
            "invalid JSON",
        ),
        (
            Some(&token_a),
            r#"{"epoch": 1, "workers": 1, "epochSecs": 5}"#.into(),
            400,
            "unknown field `epochSecs`",
        ),
        (Some(&token_a), report(1, 1, -100.0), 422, "epochSeconds"),
        (
            Some(&token_a),
            report(11, 1, 100.0),
            422,
            "epoch 11 is beyond the job's 10 epochs",
        ),
        (
            Some(&token_a),
            report(1, 2, 100.0),
            422,
            "workers 2 is outside the job's bounds [1, 1]",
        ),
        (
            Some(&token_a),
            "epoch,workers\n1,1\n".into(),
            400,
            "epoch_time_sec",
        ),
        (
            Some(&token_a),
            "epoch,workers,epoch_time_sec\n1,1,100\n0,1,100\n".into(),
            422,
            "report 2: epoch must be at least 1",
        ),
    ];
    for (tok, body, code, says) in &bad {
        let (got, reply) = post(&mgr, &ns, "a", *tok, body)?;
        assert_eq!(got, *code, "{body}: {reply}");
        assert!(reply.contains(says), "{body}: {reply}");
    }
    let (got, reply) = post(&mgr, &ns, "nobody", Some(&token_a), &report(1, 1, 1.0))?;
    assert_eq!(
        (got, reply.contains("no training job")),
        (404, true),
        "{reply}"
    );
    let after = s.job("a").await?;
    assert_eq!(
        before["metadata"]["resourceVersion"], after["metadata"]["resourceVersion"],
        "a refused report changed the job"
    );
    assert!(after["status"]["profile"].is_null(), "{}", after["status"]);

    // a reports: 100 s per epoch on one worker, 9 epochs to go → 900 s. b (still
    // unknown, 0 s) is now the shorter job: SRJF swaps them.
    let (got, reply) = post(&mgr, &ns, "a", Some(&token_a), &report(1, 1, 100.0))?;
    assert_eq!(got, 200, "{reply}");
    let reply: Value = serde_json::from_str(&reply)?;
    assert_eq!(reply["remainingSeconds"], 900.0);
    s.expect_jobs(&[("a", "Waiting", 0), ("b", "Running", 1)], T)
        .await?;
    s.eventually("EstimateChanged event on a", T, || async {
        Ok(s.events("a").await?.iter().any(|r| r == "EstimateChanged"))
    })
    .await?;

    // b reports in the old CSV form: 300 s per epoch → 2700 s; a is shorter again.
    let csv =
        "epoch,workers,epoch_time_sec,step_time_sec,start_time\n1,1,300,1.5,2022-10-19 04:57:00\n";
    let (got, reply) = post(&mgr, &ns, "b", Some(&token_b), csv)?;
    assert_eq!(got, 200, "{reply}");
    s.expect_jobs(&[("a", "Running", 1), ("b", "Waiting", 0)], T)
        .await?;

    // The learned profile is in the status, as kubectl shows it, and the scheduler's
    // own status writes (a was halted and restarted since) left it alone.
    let yaml = crate::kubectl(&["get", "trainingjob", "a", "-n", &ns, "-o", "yaml"])?;
    assert!(yaml.ok, "{}", yaml.stderr);
    for line in [
        "remainingSeconds: 900",
        "currentEpoch: 1",
        "source: Measured",
        "category: mnist",
    ] {
        assert!(
            yaml.stdout.contains(line),
            "{line} missing in:\n{}",
            yaml.stdout
        );
    }
    let a = s.job("a").await?;
    let p = &a["status"]["profile"];
    assert_eq!(floats(&p["speedup"]), [0.0, 1.0]);
    assert_eq!(floats(&p["epochSeconds"]), [0.0, 100.0]);
    assert_eq!(floats(&p["efficiency"]), [0.0, 1.0]);
    for entry in a["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let owns_profile = entry["fieldsV1"].to_string().contains("f:profile");
        let manager = entry["manager"].as_str().unwrap_or("");
        assert_eq!(
            owns_profile,
            manager == "voda-scheduler-profiles",
            "{manager} and status.profile: {entry}"
        );
    }

    // Every process restarts: profiles, credentials and estimates are all in the
    // cluster, so reports go on with the same token.
    sched.kill();
    mgr.kill();
    let _sched = s.scheduler()?;
    let mgr = manager(&s).await?;
    let (got, reply) = post(&mgr, &ns, "a", Some(&token_a), &report(2, 1, 110.0))?;
    assert_eq!(got, 200, "{reply}");
    let reply: Value = serde_json::from_str(&reply)?;
    // Mean of 100 and 110 s, 8 epochs to go.
    assert_eq!(reply["remainingSeconds"], 840.0);

    // a finishes: its category learns from it, and it takes no more reports.
    s.finish("a", "Succeeded").await?;
    let profiles: Api<DynamicObject> = Api::namespaced_with(
        s.client.clone(),
        &ns,
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("vodascheduler.io", "v1alpha1", "CategoryProfile"),
            "categoryprofiles",
        ),
    );
    let cat_name = format!("{}.mnist", s.gpu);
    s.eventually("the mnist category profile", T, || async {
        Ok(profiles.get_opt(&cat_name).await?.is_some())
    })
    .await?;
    let cat = serde_json::to_value(profiles.get(&cat_name).await?)?;
    assert_eq!(cat["spec"]["jobs"], 1, "{cat}");
    assert_eq!(
        cat["spec"]["measurements"][0]["epochSeconds"], 105.0,
        "{cat}"
    );
    s.eventually("a marked as learned", T, || async {
        Ok(s.job("a").await?["status"]["profile"]["learnedIntoCategory"] == true)
    })
    .await?;
    let (got, reply) = post(&mgr, &ns, "a", Some(&token_a), &report(3, 1, 100.0))?;
    assert_eq!(got, 409, "{reply}");

    // A new job of the category starts from it: 20 epochs × 105 s.
    s.submit_with("c", one, json!({"epochs": 20, "category": "mnist"}))
        .await?;
    s.eventually("c to start from the mnist profile", T, || async {
        let p = s.job("c").await?["status"]["profile"].clone();
        Ok(p["source"] == "Category" && p["remainingSeconds"] == 2100.0)
    })
    .await?;
    let c = s.job("c").await?;
    if c["status"]["profile"]["categoryStart"][0]["epochSeconds"] != 105.0 {
        bail!("c's starting point is not the category's: {}", c["status"]);
    }
    s.cleanup().await
}
