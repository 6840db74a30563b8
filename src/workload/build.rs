//! The MPIJob a started TrainingJob runs as.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{
    EnvVar, EnvVarSource, PodSchedulingGate, SecretKeySelector, Toleration,
};
use kube::Resource;
use kube::api::ObjectMeta;

use super::mpijob::{CleanPodPolicy, MPIJob, MpiJobSpec, RunPolicy};
use super::{credential, labels};
use crate::crd::{ACCELERATOR_LABEL, Binding, HOSTNAME_TAINT, TrainingJob};

/// Why an MPIJob cannot be built for a TrainingJob.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("TrainingJob has no {0}")]
    Missing(&'static str),
}

/// The MPIJob for `job` with `workers` workers: same name and namespace, owned by the
/// TrainingJob (deleting it deletes the MPIJob and frees the GPUs), workers confined
/// to nodes of the job's GPU type and, when placement binds them (`binding`), held
/// back until the placement manager picks their node: by a scheduling gate, or (legacy)
/// by the `vodascheduler/hostname` taint every node carries, which only the toleration
/// the manager adds lets them past. Launchers tolerate every such taint.
pub fn mpijob_for(
    job: &TrainingJob,
    workers: u32,
    binding: Option<Binding>,
) -> Result<MPIJob, BuildError> {
    let name = job
        .metadata
        .name
        .clone()
        .ok_or(BuildError::Missing("name"))?;
    let namespace = job
        .metadata
        .namespace
        .clone()
        .ok_or(BuildError::Missing("namespace"))?;
    let owner = job
        .controller_owner_ref(&())
        .ok_or(BuildError::Missing("uid"))?;
    let gpu_type = &job.spec.gpu_type;
    let ours = BTreeMap::from([
        (labels::TRAINING_JOB.to_owned(), name.clone()),
        (labels::GPU_TYPE.to_owned(), gpu_type.clone()),
    ]);

    let mut spec = job.spec.mpi_job.clone();
    // A finished job's GPUs go back to the scheduler at once, so its worker pods
    // must go too: the operator's default (None) would leave them holding GPUs.
    let run_policy = spec.run_policy.get_or_insert(RunPolicy {
        clean_pod_policy: None,
        ttl_seconds_after_finished: None,
        active_deadline_seconds: None,
        backoff_limit: None,
    });
    if matches!(
        run_policy.clean_pod_policy,
        None | Some(CleanPodPolicy::None)
    ) {
        run_policy.clean_pod_policy = Some(CleanPodPolicy::Running);
    }
    spec.mpi_replica_specs.launcher.replicas = Some(1);
    spec.mpi_replica_specs.worker.replicas = Some(i32::try_from(workers).unwrap_or(i32::MAX));

    let worker = Arc::make_mut(&mut spec.mpi_replica_specs.worker.template);
    worker
        .metadata
        .get_or_insert_with(Default::default)
        .labels
        .get_or_insert_with(Default::default)
        .extend(ours.clone());
    let pod = worker.spec.get_or_insert_with(Default::default);
    pod.node_selector
        .get_or_insert_with(Default::default)
        .insert(ACCELERATOR_LABEL.to_owned(), gpu_type.clone());
    if binding == Some(Binding::SchedulingGates) {
        let gates = pod.scheduling_gates.get_or_insert_with(Vec::new);
        if !gates.iter().any(|g| g.name == labels::PLACEMENT_GATE) {
            gates.push(PodSchedulingGate {
                name: labels::PLACEMENT_GATE.to_owned(),
            });
        }
    }

    // The old service passed the job's settings to the launcher as environment
    // variables; training scripts (horovodrun --num-proc $(NP) ...) still read them.
    let w = job.spec.workers;
    let mut env = vec![
        ("JOB_NAME", name.clone()),
        ("NP", workers.to_string()),
        ("NUM_PROC", workers.to_string()),
        ("MIN_NP", w.min.to_string()),
        ("MIN_NUM_PROC", w.min.to_string()),
        ("MAX_NP", w.max.to_string()),
        ("MAX_NUM_PROC", w.max.to_string()),
    ];
    if let Some(epochs) = job.spec.epochs {
        env.push(("EPOCHS", epochs.to_string()));
    }
    let launcher = Arc::make_mut(&mut spec.mpi_replica_specs.launcher.template);
    // Labelled like the workers so the scheduler's pod watch (filtered by GPU type)
    // sees launchers too: placement deletes a launcher whose workers all move.
    launcher
        .metadata
        .get_or_insert_with(Default::default)
        .labels
        .get_or_insert_with(Default::default)
        .extend(ours.clone());
    if binding == Some(Binding::LegacyTaints) {
        launcher
            .spec
            .get_or_insert_with(Default::default)
            .tolerations
            .get_or_insert_with(Vec::new)
            .push(Toleration {
                key: Some(HOSTNAME_TAINT.to_owned()),
                operator: Some("Exists".to_owned()),
                ..Toleration::default()
            });
    }
    // The progress credential (workload::credential): only the launcher runs the
    // training script's reporting code, so only it gets the token. Not optional: the
    // manager creates the Secret when it admits the job, and kubelet waits for it.
    let secret = credential::secret_name(&name);
    let from_secret = |key: &str| EnvVarSource {
        secret_key_ref: Some(SecretKeySelector {
            name: secret.clone(),
            key: key.to_owned(),
            optional: Some(false),
        }),
        ..EnvVarSource::default()
    };
    let credential_env = [
        (credential::URL_ENV, from_secret(credential::URL_KEY)),
        (credential::TOKEN_ENV, from_secret(credential::TOKEN_KEY)),
    ];
    for container in launcher
        .spec
        .iter_mut()
        .flat_map(|s| s.containers.iter_mut())
    {
        let vars = container.env.get_or_insert_with(Vec::new);
        for (key, value) in &env {
            // The scheduler owns these; a user value would contradict the allocation.
            vars.retain(|v| v.name != *key);
            vars.push(EnvVar {
                name: (*key).to_owned(),
                value: Some(value.clone()),
                value_from: None,
            });
        }
        for (key, source) in &credential_env {
            vars.retain(|v| v.name != *key);
            vars.push(EnvVar {
                name: (*key).to_owned(),
                value: None,
                value_from: Some(source.clone()),
            });
        }
    }

    Ok(MPIJob {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: Some(namespace),
            labels: Some(ours),
            owner_references: Some(vec![owner]),
            ..Default::default()
        },
        spec: MpiJobSpec { template: spec },
        status: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> TrainingJob {
        let text = include_str!("../../examples/tensorflow2-keras-mnist-elastic.yaml");
        let mut job: TrainingJob = serde_norway::from_str(text).expect("example parses");
        job.metadata.uid = Some("uid-1".into());
        job
    }

    #[test]
    fn owned_by_the_training_job_with_the_allocated_workers() {
        let mj = mpijob_for(&example(), 3, Some(Binding::SchedulingGates)).unwrap();
        assert_eq!(
            mj.metadata.name.as_deref(),
            Some("tensorflow2-keras-mnist-elastic")
        );
        let owner = &mj.metadata.owner_references.as_ref().unwrap()[0];
        assert_eq!(
            (owner.kind.as_str(), owner.uid.as_str()),
            ("TrainingJob", "uid-1")
        );
        assert_eq!(owner.controller, Some(true));
        assert_eq!(mj.worker_replicas(), 3);
        let pod = mj
            .spec
            .template
            .mpi_replica_specs
            .worker
            .template
            .spec
            .as_ref()
            .unwrap();
        assert_eq!(
            pod.node_selector.as_ref().unwrap()[ACCELERATOR_LABEL],
            "nvidia-gtx-1080ti"
        );
        assert_eq!(
            pod.scheduling_gates.as_ref().unwrap()[0].name,
            labels::PLACEMENT_GATE
        );
    }

    #[test]
    fn launcher_gets_the_old_environment() {
        let mj = mpijob_for(&example(), 3, None).unwrap();
        let launcher = mj
            .spec
            .template
            .mpi_replica_specs
            .launcher
            .template
            .spec
            .clone()
            .unwrap();
        let env: BTreeMap<_, _> = launcher.containers[0]
            .env
            .iter()
            .flatten()
            .map(|v| (v.name.as_str(), v.value.clone().unwrap_or_default()))
            .collect();
        assert_eq!(env["JOB_NAME"], "tensorflow2-keras-mnist-elastic");
        assert_eq!(env["NP"], "3");
        assert_eq!(env["MIN_NP"], "1");
        assert_eq!(env["MAX_NP"], "8");
        assert_eq!(env["EPOCHS"], "150");
    }

    #[test]
    fn launcher_gets_the_progress_credential_from_the_jobs_secret() {
        let mj = mpijob_for(&example(), 3, None).unwrap();
        let specs = mj.spec.template.mpi_replica_specs;
        let launcher = specs.launcher.template.spec.clone().unwrap();
        let refs: BTreeMap<_, _> = launcher.containers[0]
            .env
            .iter()
            .flatten()
            .filter_map(|v| {
                let r = v.value_from.as_ref()?.secret_key_ref.as_ref()?;
                Some((v.name.as_str(), (r.name.clone(), r.key.clone())))
            })
            .collect();
        let secret = "tensorflow2-keras-mnist-elastic-voda-progress".to_owned();
        assert_eq!(
            refs["VODA_PROGRESS_TOKEN"],
            (secret.clone(), "token".to_owned())
        );
        assert_eq!(refs["VODA_PROGRESS_URL"], (secret, "url".to_owned()));
        // Workers never report, so they never see the token.
        let worker = specs.worker.template.spec.clone().unwrap();
        assert!(
            worker.containers[0]
                .env
                .iter()
                .flatten()
                .all(|v| v.value_from.is_none())
        );
    }

    #[test]
    fn finished_jobs_release_their_workers() {
        let mut job = example();
        job.spec.mpi_job.run_policy = None;
        let mj = mpijob_for(&job, 2, Some(Binding::SchedulingGates)).unwrap();
        let policy = mj.spec.template.run_policy.unwrap();
        assert_eq!(policy.clean_pod_policy, Some(CleanPodPolicy::Running));
    }

    #[test]
    fn ungated_workers_have_no_gate() {
        let mj = mpijob_for(&example(), 1, None).unwrap();
        let pod = mj
            .spec
            .template
            .mpi_replica_specs
            .worker
            .template
            .spec
            .clone()
            .unwrap();
        assert!(pod.scheduling_gates.is_none());
    }

    #[test]
    fn legacy_binding_lets_launchers_past_every_hostname_taint() {
        let mj = mpijob_for(&example(), 2, Some(Binding::LegacyTaints)).unwrap();
        let specs = mj.spec.template.mpi_replica_specs;
        let worker = specs.worker.template.spec.clone().unwrap();
        assert!(worker.scheduling_gates.is_none());
        assert!(
            worker.tolerations.is_none(),
            "workers wait for their node's toleration"
        );
        let launcher = specs.launcher.template.spec.clone().unwrap();
        let t = &launcher.tolerations.unwrap()[0];
        assert_eq!(t.key.as_deref(), Some(HOSTNAME_TAINT));
        assert_eq!(t.operator.as_deref(), Some("Exists"));
    }
}
