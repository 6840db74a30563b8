//! A binding patch the API server refuses is retried on its own: the workers of a
//! running job stay gated while an admission policy refuses to lift their gate,
//! and reach a node soon after the policy goes, with nothing else changing in the
//! cluster that would wake the scheduler.

use std::time::Duration;

use anyhow::{Result, ensure};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::json;

use super::Story;

const T: Duration = Duration::from_secs(60);
const GATE: &str = "vodascheduler.io/placement";

fn admission(kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("admissionregistration.k8s.io", "v1", kind),
        plural,
    )
}

#[tokio::test]
#[ignore = "needs the local control plane: run `make e2e`"]
async fn a_refused_binding_is_retried_until_the_workers_reach_a_node() -> Result<()> {
    let mut s = Story::new("refused-binding").await?;
    s.nodes(1, 4).await?;
    s.policy(json!({"algorithm": "FIFO", "rateLimitSeconds": 1}))
        .await?;

    // An admission policy of the story's namespace: no pod may lose its placement gate.
    let policies: Api<DynamicObject> = Api::all_with(
        s.client.clone(),
        &admission("ValidatingAdmissionPolicy", "validatingadmissionpolicies"),
    );
    let bindings: Api<DynamicObject> = Api::all_with(
        s.client.clone(),
        &admission(
            "ValidatingAdmissionPolicyBinding",
            "validatingadmissionpolicybindings",
        ),
    );
    let name = s.ns.clone();
    let keeps_gate = format!(
        "!has(oldObject.spec.schedulingGates) || !oldObject.spec.schedulingGates.exists(g, g.name == '{GATE}') \
         || (has(object.spec.schedulingGates) && object.spec.schedulingGates.exists(g, g.name == '{GATE}'))"
    );
    let policy = json!({
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": name},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {"resourceRules": [{
                "apiGroups": [""], "apiVersions": ["v1"],
                "operations": ["UPDATE"], "resources": ["pods"]
            }]},
            "validations": [{"expression": keeps_gate, "message": "e2e: placement gates stay"}]
        }
    });
    let binding = json!({
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": name},
        "spec": {
            "policyName": name,
            "validationActions": ["Deny"],
            "matchResources": {"namespaceSelector": {"matchLabels": {
                "kubernetes.io/metadata.name": s.ns
            }}}
        }
    });
    policies
        .create(&PostParams::default(), &serde_json::from_value(policy)?)
        .await?;
    bindings
        .create(&PostParams::default(), &serde_json::from_value(binding)?)
        .await?;

    // The API server enforces a new policy after a moment: wait until it refuses to
    // lift the gate of a probe pod (a dry run, so the gate stays for the next try).
    let pods: Api<Pod> = Api::namespaced(s.client.clone(), &s.ns);
    let probe = json!({
        "metadata": {"name": "probe"},
        "spec": {"schedulingGates": [{"name": GATE}],
                 "containers": [{"name": "c", "image": "x"}]}
    });
    pods.create(&PostParams::default(), &serde_json::from_value(probe)?)
        .await?;
    s.eventually("the admission policy to be enforced", T, || async {
        let lift = json!({"spec": {"schedulingGates": []}});
        Ok(pods
            .patch(
                "probe",
                &PatchParams::default().dry_run(),
                &Patch::Merge(&lift),
            )
            .await
            .is_err())
    })
    .await?;
    pods.delete("probe", &DeleteParams::default().grace_period(0))
        .await?;

    let sched = s.scheduler()?;
    s.submit_with("a", json!({"min": 4, "max": 4}), json!({}))
        .await?;
    s.expect_jobs(&[("a", "Running", 4)], T).await?;
    s.eventually("the refused binding in the scheduler's log", T, || async {
        Ok(sched.log_text().contains("binding refused"))
    })
    .await?;
    ensure!(
        s.workers_by_node("a").await?.is_empty(),
        "a worker reached a node although its gate could not be lifted"
    );

    // The obstacle goes; the scheduler binds again without any other change.
    bindings.delete(&name, &DeleteParams::default()).await?;
    policies.delete(&name, &DeleteParams::default()).await?;
    s.eventually("a's 4 workers on the node", T, || async {
        Ok(s.workers_by_node("a").await?.values().sum::<usize>() == 4)
    })
    .await?;
    s.cleanup().await
}
