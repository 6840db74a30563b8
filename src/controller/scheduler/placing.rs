//! Placement on the cluster (DESIGN §6): plan where every running job's workers go,
//! delete the pods that move, and send waiting workers to their planned node.

use std::collections::BTreeMap;

use futures::{StreamExt, future, stream};
use k8s_openapi::api::core::v1::{Pod, Toleration};
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams};
use kube::runtime::events::EventType;
use serde_json::json;

use crate::core::placement::{CurrentBinding, Nodes, Placement, place};
use crate::crd::{Binding, HOSTNAME_TAINT};
use crate::workload::labels;

use super::act::{Actor, CONCURRENCY};
use super::cluster::{Cluster, JobKey};

/// How long after a refused binding patch the loop is woken to bind again.
const BIND_RETRY: std::time::Duration = std::time::Duration::from_secs(1);

impl Actor {
    /// Plan placement for `running` (job → workers) and delete the pods that move.
    pub async fn place(
        &self,
        cluster: &Cluster,
        running: &BTreeMap<String, u32>,
    ) -> Option<Placement> {
        let nodes: Nodes = cluster
            .gpu_nodes()
            .into_iter()
            .map(|n| (n.name, n.gpus))
            .collect();
        let current = current_binding(cluster);
        let placement = match place(&nodes, running, &current) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!("placement: {e}");
                return None;
            }
        };
        // Concurrently: when a job finishes, repacking can move dozens of workers,
        // and the loop waits for this.
        let deleted: Vec<&str> = stream::iter(&placement.migrations)
            .map(|m| async move {
                let key = JobKey::parse(&m.job)?;
                let pods: Api<Pod> = Api::namespaced(self.client.clone(), &key.namespace);
                let pod = format!("{}-worker-{}", key.name, m.index);
                match pods.delete(&pod, &DeleteParams::default()).await {
                    Ok(_) => Some(m.job.as_str()),
                    Err(kube::Error::Api(s)) if s.code == 404 => None,
                    Err(e) => {
                        tracing::warn!(%pod, "migration: {e}");
                        None
                    }
                }
            })
            .buffer_unordered(CONCURRENCY)
            .filter_map(future::ready)
            .collect()
            .await;
        let mut moved: BTreeMap<&str, u32> = BTreeMap::new();
        for job in deleted {
            *moved.entry(job).or_default() += 1;
        }
        for job in &placement.launchers_to_delete {
            let Some(key) = JobKey::parse(job) else {
                continue;
            };
            let pods: Api<Pod> = Api::namespaced(self.client.clone(), &key.namespace);
            let selector = format!(
                "{}={},{}=launcher",
                labels::MPI_JOB_NAME,
                key.name,
                labels::MPI_JOB_ROLE
            );
            let lp = kube::api::ListParams::default().labels(&selector);
            if let Err(e) = pods.delete_collection(&DeleteParams::default(), &lp).await {
                tracing::warn!(%job, "launcher deletion: {e}");
            }
        }
        for (job, n) in moved {
            self.event(
                cluster,
                job,
                EventType::Normal,
                "Migrated",
                format!("moved {n} workers to pack the job onto fewer nodes"),
            );
        }
        Some(placement)
    }

    /// Send worker pods that wait for placement to the node it chose for them:
    /// lift the scheduling gate with a node affinity, or (legacy) add the toleration
    /// of that node's `vodascheduler/hostname` taint. The patches run in the
    /// background (the loop must not wait for hundreds of pods while jobs arrive);
    /// a pod whose patch is still in flight is not patched again. Returns how many
    /// patches were sent.
    pub fn bind(
        &self,
        cluster: &Cluster,
        binding: Binding,
        plan: &BTreeMap<String, BTreeMap<u32, String>>,
    ) -> usize {
        let patches: Vec<(String, String, serde_json::Value)> = cluster
            .pods
            .state()
            .iter()
            .filter_map(|pod| {
                let spec = pod.spec.as_ref()?;
                if pod.metadata.deletion_timestamp.is_some() || spec.node_name.is_some() {
                    return None;
                }
                let (key, index) = worker_of(pod)?;
                let node = plan.get(&key.core_name())?.get(&index)?;
                let patch = binding_patch(spec, binding, node)?;
                Some((key.namespace, pod.metadata.name.clone()?, patch))
            })
            .collect();
        let mut sent = 0;
        for (ns, name, patch) in patches {
            let pod = format!("{ns}/{name}");
            let Ok(mut binding_now) = self.binding_pods.lock() else {
                return sent;
            };
            if !binding_now.insert(pod.clone()) {
                continue;
            }
            drop(binding_now);
            sent += 1;
            let api: Api<Pod> = Api::namespaced(self.client.clone(), &ns);
            let permits = self.binds_in_flight.clone();
            let in_flight = self.binding_pods.clone();
            let wake = cluster.changed.clone();
            tokio::spawn(async move {
                let refused = match permits.acquire_owned().await {
                    Ok(_permit) => api
                        .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                        .await
                        .err(),
                    Err(_) => None,
                };
                if let Ok(mut pods) = in_flight.lock() {
                    pods.remove(&pod);
                }
                match refused {
                    // The pod went meanwhile (its job halted, scaled in or migrated).
                    Some(kube::Error::Api(s)) if s.code == 404 => {}
                    // Nothing else would wake the loop for this pod: bind again soon.
                    Some(e) => {
                        let why = match e {
                            kube::Error::Api(s) => s.message,
                            e => e.to_string(),
                        };
                        tracing::warn!(%pod, "binding refused: {why}; retrying in {BIND_RETRY:?}");
                        tokio::time::sleep(BIND_RETRY).await;
                        wake.notify_one();
                    }
                    None => {}
                }
            });
        }
        sent
    }
}

/// The patch that sends a waiting worker to `node`, or `None` if it is not waiting
/// for us (no gate of ours; legacy: already has its hostname toleration).
fn binding_patch(
    spec: &k8s_openapi::api::core::v1::PodSpec,
    binding: Binding,
    node: &str,
) -> Option<serde_json::Value> {
    match binding {
        Binding::SchedulingGates => {
            let gates = spec.scheduling_gates.clone().unwrap_or_default();
            if !gates.iter().any(|g| g.name == labels::PLACEMENT_GATE) {
                return None;
            }
            let others: Vec<_> = gates
                .into_iter()
                .filter(|g| g.name != labels::PLACEMENT_GATE)
                .collect();
            Some(json!({"spec": {
                "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchFields": [
                        {"key": "metadata.name", "operator": "In", "values": [node]}
                    ]}]
                }}},
                "schedulingGates": others,
            }}))
        }
        Binding::LegacyTaints => {
            let mut tolerations = spec.tolerations.clone().unwrap_or_default();
            if tolerations
                .iter()
                .any(|t| t.key.as_deref() == Some(HOSTNAME_TAINT))
            {
                return None;
            }
            tolerations.push(Toleration {
                key: Some(HOSTNAME_TAINT.to_owned()),
                operator: Some("Equal".to_owned()),
                value: Some(node.to_owned()),
                effect: Some("NoExecute".to_owned()),
                toleration_seconds: None,
            });
            // A merge patch replaces the list; it only adds to it here, which is the
            // one change the API server allows on a pod's tolerations.
            Some(json!({"spec": {"tolerations": tolerations}}))
        }
    }
}

/// (job, worker index) of a worker pod we run.
fn worker_of(pod: &Pod) -> Option<(JobKey, u32)> {
    let labels_ = pod.metadata.labels.as_ref()?;
    if labels_.get(labels::MPI_JOB_ROLE).map(String::as_str) != Some("worker") {
        return None;
    }
    let key = JobKey {
        namespace: pod.metadata.namespace.clone()?,
        name: labels_.get(labels::TRAINING_JOB)?.clone(),
    };
    let index = labels_.get(labels::MPI_REPLICA_INDEX)?.parse().ok()?;
    Some((key, index))
}

/// The node a pod is on, or the one placement already sent it to (a pod whose gate
/// was lifted, or which got its toleration, before kube-scheduler bound it). Such a
/// pod must count as being there: if the plan changes meanwhile it has to migrate,
/// or it would wait forever for a node that is no longer planned (e.g. cordoned).
fn chosen_node(pod: &Pod) -> Option<String> {
    let spec = pod.spec.as_ref()?;
    if let Some(node) = &spec.node_name {
        return Some(node.clone());
    }
    let by_affinity = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| {
            n.required_during_scheduling_ignored_during_execution
                .as_ref()
        })
        .and_then(|r| r.node_selector_terms.first())
        .and_then(|t| t.match_fields.as_ref())
        .and_then(|f| {
            f.iter()
                .find(|r| r.key == "metadata.name" && r.operator == "In")
        })
        .and_then(|r| r.values.as_ref()?.first().cloned());
    let by_toleration = || {
        spec.tolerations.iter().flatten().find_map(|t| {
            (t.key.as_deref() == Some(HOSTNAME_TAINT) && t.operator.as_deref() == Some("Equal"))
                .then(|| t.value.clone())
                .flatten()
        })
    };
    by_affinity.or_else(by_toleration)
}

/// Where each job's pods are now: bound workers by index, and the launcher.
fn current_binding(cluster: &Cluster) -> CurrentBinding {
    let mut current = CurrentBinding::new();
    for pod in cluster.pods.state() {
        if pod.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let Some(node) = chosen_node(&pod) else {
            continue;
        };
        let labels_ = pod.metadata.labels.clone().unwrap_or_default();
        let Some(ns) = pod.metadata.namespace.clone() else {
            continue;
        };
        if let Some((key, index)) = worker_of(&pod) {
            current
                .entry(key.core_name())
                .or_default()
                .workers
                .insert(index, node);
        } else if labels_.get(labels::MPI_JOB_ROLE).map(String::as_str) == Some("launcher")
            && let Some(job) = labels_.get(labels::MPI_JOB_NAME)
        {
            let key = JobKey {
                namespace: ns,
                name: job.clone(),
            };
            current.entry(key.core_name()).or_default().launcher = Some(node);
        }
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(spec: serde_json::Value) -> Pod {
        serde_json::from_value(json!({"metadata": {"name": "p"}, "spec": spec})).expect("pod")
    }

    #[test]
    fn a_pod_counts_as_on_the_node_placement_sent_it_to() {
        let c = || json!([{"name": "w", "image": "x"}]);
        assert_eq!(
            chosen_node(&pod(json!({"containers": c(), "nodeName": "n1"}))),
            Some("n1".into())
        );
        let affinity = json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchFields": [
                {"key": "metadata.name", "operator": "In", "values": ["n2"]}]}]}}});
        assert_eq!(
            chosen_node(&pod(json!({"containers": c(), "affinity": affinity}))),
            Some("n2".into())
        );
        let tolerations = json!([{"key": HOSTNAME_TAINT, "operator": "Equal", "value": "n3",
            "effect": "NoExecute"}]);
        assert_eq!(
            chosen_node(&pod(json!({"containers": c(), "tolerations": tolerations}))),
            Some("n3".into())
        );
        let launcher = json!([{"key": HOSTNAME_TAINT, "operator": "Exists"}]);
        assert_eq!(
            chosen_node(&pod(json!({"containers": c(), "tolerations": launcher}))),
            None
        );
        assert_eq!(chosen_node(&pod(json!({"containers": c()}))), None);
    }
}
