//! Old-style MPIJobs (`kubeflow.org/v1`, scheduling config in the launcher's env) →
//! TrainingJob spec carrying a `kubeflow.org/v2beta1` MPIJob template. Pure.
//!
//! What is read, and the defaults (the old service's names, see shared/legacy/):
//!
//! | env (either spelling)   | becomes              | when absent                      |
//! |-------------------------|----------------------|----------------------------------|
//! | `MIN_NUM_PROC`/`MIN_NP` | `workers.min`        | `NP` (Horovod's `--min-np` default) |
//! | `NUM_PROC`/`NP`         | `workers.requested`  | the minimum                      |
//! | `MAX_NUM_PROC`/`MAX_NP` | `workers.max`        | the requested count (see below)  |
//! | `EPOCHS`                | `epochs`             | none                             |
//! | `JOB_PRIORITY`          | `priority`           | none (queue 0)                   |
//!
//! At least one of the minimum and `NP` must be given: a job that says nothing about
//! its size is more likely a mistake than a one-worker job. Horovod treats a missing
//! `--max-np` as unbounded; a scheduler needs a number, and growing a job past what its
//! author asked for is the surprising choice, so a missing maximum is the requested
//! count (a job with only `MIN_NP` is therefore fixed-size at its minimum).
//!
//! The GPU type is the worker `nodeSelector` `vodascheduler/accelerator`.
//!
//! Conversion v1 → v2beta1: `spec.cleanPodPolicy` moves into `runPolicy` (an explicit
//! `runPolicy.cleanPodPolicy` wins); the worker `replicas` is dropped (the scheduler owns
//! the worker count); `mainContainer`, if given, is moved to the front of each template
//! (v2beta1 runs the first container); restart policies v2beta1 does not allow
//! (`Always`, `ExitCode`) become `OnFailure`, the closest it has, because the launcher
//! is now a batch Job; `runPolicy.schedulingPolicy` is gang scheduling for other
//! schedulers and is dropped. Everything else in the pod templates is kept as written,
//! including the env the launcher's command line refers to.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Container, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Deserialize;

use super::naming;
use super::submission::SubmitError;
use crate::crd::{ACCELERATOR_LABEL, TrainingJobSpec, WorkerBounds};
use crate::workload::mpijob::{
    CleanPodPolicy, MpiImplementation, MpiJobTemplate, MpiReplicaSpecs, ReplicaSpec, RunPolicy,
};

/// Most workers a job may ask for (the TrainingJob CRD's ceiling).
pub const MAX_WORKERS: u32 = 4096;

/// A posted `kubeflow.org/v1` (or `v2beta1`) MPIJob: only the fields the conversion
/// reads. Unknown fields are ignored, as the old service's Go decoder did.
#[derive(Deserialize, Debug, Clone)]
pub struct LegacyMpiJob {
    #[serde(default)]
    pub metadata: ObjectMeta,
    pub spec: LegacySpec,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct LegacySpec {
    #[serde(default)]
    pub slots_per_worker: Option<i32>,
    /// v1 only; v2beta1 has it in `runPolicy`.
    #[serde(default)]
    pub clean_pod_policy: Option<CleanPodPolicy>,
    #[serde(default)]
    pub run_policy: Option<LegacyRunPolicy>,
    /// v1 only: the container that runs the MPI code.
    #[serde(default)]
    pub main_container: Option<String>,
    /// v2beta1 only.
    #[serde(default)]
    pub ssh_auth_mount_path: Option<String>,
    /// v2beta1 only.
    #[serde(default)]
    pub mpi_implementation: Option<MpiImplementation>,
    pub mpi_replica_specs: BTreeMap<String, LegacyReplicaSpec>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct LegacyRunPolicy {
    #[serde(default)]
    pub clean_pod_policy: Option<CleanPodPolicy>,
    #[serde(default)]
    pub ttl_seconds_after_finished: Option<i32>,
    #[serde(default)]
    pub active_deadline_seconds: Option<i64>,
    #[serde(default)]
    pub backoff_limit: Option<i32>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct LegacyReplicaSpec {
    #[serde(default)]
    pub replicas: Option<i32>,
    #[serde(default)]
    pub restart_policy: Option<String>,
    #[serde(default)]
    pub template: PodTemplateSpec,
}

/// The scheduling configuration read from the launcher env.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvConfig {
    pub workers: WorkerBounds,
    pub epochs: Option<u32>,
    pub priority: Option<u32>,
}

/// Converts a posted MPIJob into the metadata and spec of a TrainingJob.
pub fn convert(job: LegacyMpiJob) -> Result<(ObjectMeta, TrainingJobSpec), SubmitError> {
    let LegacyMpiJob { metadata, spec } = job;
    let mut specs = spec.mpi_replica_specs;
    let mut launcher = specs
        .remove("Launcher")
        .ok_or_else(|| bad("spec.mpiReplicaSpecs has no Launcher"))?;
    let mut worker = specs
        .remove("Worker")
        .ok_or_else(|| bad("spec.mpiReplicaSpecs has no Worker"))?;
    if let Some(other) = specs.keys().next() {
        return Err(bad(format!(
            "spec.mpiReplicaSpecs has {other:?}: an MPIJob has only Launcher and Worker"
        )));
    }
    if launcher.replicas.is_some_and(|r| r != 1) {
        return Err(bad("the Launcher must have exactly 1 replica"));
    }
    if let Some(main) = &spec.main_container {
        move_to_front(&mut launcher.template, main);
        move_to_front(&mut worker.template, main);
    }
    if launcher_containers(&launcher.template).is_empty() {
        return Err(bad("the Launcher template has no containers"));
    }
    if launcher_containers(&worker.template).is_empty() {
        return Err(bad("the Worker template has no containers"));
    }

    let config = read_env_config(launcher_containers(&launcher.template))?;
    let gpu_type = gpu_type(&worker.template)?;

    let run_policy = {
        let rp = spec.run_policy.unwrap_or(LegacyRunPolicy {
            clean_pod_policy: None,
            ttl_seconds_after_finished: None,
            active_deadline_seconds: None,
            backoff_limit: None,
        });
        let policy = RunPolicy {
            clean_pod_policy: rp.clean_pod_policy.or(spec.clean_pod_policy),
            ttl_seconds_after_finished: rp.ttl_seconds_after_finished,
            active_deadline_seconds: rp.active_deadline_seconds,
            backoff_limit: rp.backoff_limit,
        };
        let empty = policy.clean_pod_policy.is_none()
            && policy.ttl_seconds_after_finished.is_none()
            && policy.active_deadline_seconds.is_none()
            && policy.backoff_limit.is_none();
        (!empty).then_some(policy)
    };

    let spec = TrainingJobSpec {
        gpu_type,
        workers: config.workers,
        epochs: config.epochs,
        priority: config.priority,
        category: None,
        mpi_job: MpiJobTemplate {
            slots_per_worker: spec.slots_per_worker,
            mpi_implementation: spec.mpi_implementation,
            ssh_auth_mount_path: spec.ssh_auth_mount_path,
            run_policy,
            mpi_replica_specs: MpiReplicaSpecs {
                launcher: ReplicaSpec {
                    // The launcher is always one pod; say so explicitly like the old YAML.
                    replicas: launcher.replicas,
                    restart_policy: launcher.restart_policy.map(v2_restart_policy),
                    template: Arc::new(launcher.template),
                },
                worker: ReplicaSpec {
                    replicas: None,
                    restart_policy: worker.restart_policy.map(v2_restart_policy),
                    template: Arc::new(worker.template),
                },
            },
        },
    };
    Ok((metadata, spec))
}

fn bad(msg: impl Into<String>) -> SubmitError {
    SubmitError::Invalid(msg.into())
}

/// v2beta1 accepts only `Never` and `OnFailure`.
fn v2_restart_policy(policy: String) -> String {
    match policy.as_str() {
        "Always" | "ExitCode" => "OnFailure".to_owned(),
        _ => policy,
    }
}

fn launcher_containers(template: &PodTemplateSpec) -> &[Container] {
    template
        .spec
        .as_ref()
        .map_or(&[], |s| s.containers.as_slice())
}

fn move_to_front(template: &mut PodTemplateSpec, name: &str) {
    if let Some(spec) = template.spec.as_mut()
        && let Some(i) = spec.containers.iter().position(|c| c.name == name)
    {
        let main = spec.containers.remove(i);
        spec.containers.insert(0, main);
    }
}

/// The GPU type named by the worker nodeSelector.
fn gpu_type(worker: &PodTemplateSpec) -> Result<String, SubmitError> {
    let value = worker
        .spec
        .as_ref()
        .and_then(|s| s.node_selector.as_ref())
        .and_then(|ns| ns.get(ACCELERATOR_LABEL))
        .ok_or(SubmitError::NoGpuType)?;
    if !naming::is_dns_label(value) {
        return Err(bad(format!(
            "GPU type {value:?} (worker nodeSelector {ACCELERATOR_LABEL}) is not a valid GPU type name: use lower-case letters, digits and '-', at most 63"
        )));
    }
    Ok(value.clone())
}

/// Reads the scheduling configuration from the launcher containers' env.
pub fn read_env_config(containers: &[Container]) -> Result<EnvConfig, SubmitError> {
    let env = |names: &[&'static str]| env_number(containers, names);
    let min = env(&["MIN_NUM_PROC", "MIN_NP"])?;
    let np = env(&["NUM_PROC", "NP"])?;
    let max = env(&["MAX_NUM_PROC", "MAX_NP"])?;
    let epochs = env(&["EPOCHS"])?;
    let priority = env(&["JOB_PRIORITY"])?;

    let (min, min_name) = match (min, np) {
        (Some((v, n)), _) => (v, n),
        (None, Some((v, n))) => (v, n),
        (None, None) => {
            return Err(bad(
                "the launcher env has no worker count: set MIN_NP (or MIN_NUM_PROC) and MAX_NP (or MAX_NUM_PROC), optionally NP (or NUM_PROC)",
            ));
        }
    };
    let requested = np.map_or(min, |(v, _)| v);
    let (max, max_name) = max.unwrap_or((requested, np.map_or(min_name, |(_, n)| n)));

    for (value, name) in [(min, min_name), (max, max_name)].into_iter().chain(np) {
        if value == 0 || value > MAX_WORKERS {
            return Err(bad(format!(
                "launcher env {name} is {value}: a worker count must be between 1 and {MAX_WORKERS}"
            )));
        }
    }
    if min > max {
        return Err(SubmitError::MinAboveMax {
            min,
            max,
            min_name: format!("launcher env {min_name}"),
            max_name: max_name.to_owned(),
        });
    }
    if requested < min || requested > max {
        return Err(bad(format!(
            "launcher env NP is {requested}: it must be within [{min}, {max}] ({min_name}, {max_name})"
        )));
    }
    if epochs == Some((0, "EPOCHS")) {
        return Err(bad("launcher env EPOCHS is 0: it must be at least 1"));
    }
    Ok(EnvConfig {
        workers: WorkerBounds {
            min,
            max,
            // Left unset when it equals the minimum, the CRD's default.
            requested: np.map(|(v, _)| v).filter(|&v| v != min),
        },
        epochs: epochs.map(|(v, _)| v),
        priority: priority.map(|(v, _)| v),
    })
}

/// The value of the first of `names` set in any launcher container, as a whole number,
/// with the name it was found under. Two spellings with different values are refused:
/// there is no telling which one the author meant.
fn env_number(
    containers: &[Container],
    names: &[&'static str],
) -> Result<Option<(u32, &'static str)>, SubmitError> {
    let mut found: Option<(u32, &'static str)> = None;
    for &name in names {
        let Some(var) = containers
            .iter()
            .flat_map(|c| c.env.iter().flatten())
            .find(|e| e.name == name)
        else {
            continue;
        };
        let Some(raw) = var.value.as_deref() else {
            return Err(bad(format!(
                "launcher env {name} must have a literal value (valueFrom cannot be read when the job is submitted)"
            )));
        };
        let value: u32 = raw.trim().parse().map_err(|_| {
            bad(format!(
                "launcher env {name} is {raw:?}: it must be a whole number ≥ 0"
            ))
        })?;
        match found {
            Some((prev, prev_name)) if prev != value => {
                return Err(bad(format!(
                    "launcher env {prev_name} is {prev} but {name} is {value}: set one of them"
                )));
            }
            Some(_) => {}
            None => found = Some((value, name)),
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::EnvVar;

    fn containers(env: &[(&str, &str)]) -> Vec<Container> {
        vec![Container {
            name: "mpi-launcher".into(),
            env: Some(
                env.iter()
                    .map(|(n, v)| EnvVar {
                        name: (*n).into(),
                        value: Some((*v).into()),
                        value_from: None,
                    })
                    .collect(),
            ),
            ..Container::default()
        }]
    }

    fn cfg(env: &[(&str, &str)]) -> Result<EnvConfig, SubmitError> {
        read_env_config(&containers(env))
    }

    fn bounds(min: u32, max: u32, requested: Option<u32>) -> WorkerBounds {
        WorkerBounds {
            min,
            max,
            requested,
        }
    }

    #[test]
    fn short_spelling() {
        let c = cfg(&[
            ("NP", "2"),
            ("MIN_NP", "1"),
            ("MAX_NP", "8"),
            ("EPOCHS", "150"),
            ("JOB_PRIORITY", "1"),
        ])
        .expect("valid");
        assert_eq!(c.workers, bounds(1, 8, Some(2)));
        assert_eq!(c.epochs, Some(150));
        assert_eq!(c.priority, Some(1));
    }

    #[test]
    fn long_spelling() {
        let c = cfg(&[
            ("NUM_PROC", "4"),
            ("MIN_NUM_PROC", "2"),
            ("MAX_NUM_PROC", "6"),
        ])
        .expect("valid");
        assert_eq!(c.workers, bounds(2, 6, Some(4)));
        assert_eq!((c.epochs, c.priority), (None, None));
    }

    #[test]
    fn both_spellings_agreeing_are_fine_disagreeing_are_not() {
        let c = cfg(&[("MIN_NP", "2"), ("MIN_NUM_PROC", "2"), ("MAX_NP", "4")]).expect("same");
        assert_eq!(c.workers, bounds(2, 4, None));
        let err = cfg(&[("MIN_NP", "2"), ("MIN_NUM_PROC", "3"), ("MAX_NP", "4")])
            .expect_err("disagree")
            .to_string();
        assert!(err.contains("MIN_NUM_PROC is 3 but MIN_NP is 2"), "{err}");
    }

    #[test]
    fn np_defaults_to_min() {
        let c = cfg(&[("MIN_NP", "3"), ("MAX_NP", "8")]).expect("valid");
        assert_eq!(c.workers, bounds(3, 8, None));
        assert_eq!(c.workers.requested_or_min(), 3);
    }

    #[test]
    fn missing_min_is_np() {
        let c = cfg(&[("NP", "2"), ("MAX_NP", "8")]).expect("valid");
        assert_eq!(c.workers, bounds(2, 8, None));
    }

    #[test]
    fn missing_max_is_the_requested_count() {
        let c = cfg(&[("NP", "4"), ("MIN_NP", "2")]).expect("valid");
        assert_eq!(c.workers, bounds(2, 4, Some(4)));
        let c = cfg(&[("MIN_NP", "2")]).expect("valid");
        assert_eq!(c.workers, bounds(2, 2, None));
        let c = cfg(&[("NP", "3")]).expect("valid");
        assert_eq!(c.workers, bounds(3, 3, None));
    }

    #[test]
    fn no_worker_count_at_all() {
        let err = cfg(&[("EPOCHS", "3")]).expect_err("no size").to_string();
        assert!(err.contains("no worker count"), "{err}");
    }

    #[test]
    fn min_above_max() {
        let err = cfg(&[("MIN_NP", "4"), ("MAX_NP", "2")]).expect_err("min > max");
        assert_eq!(
            err,
            SubmitError::MinAboveMax {
                min: 4,
                max: 2,
                min_name: "launcher env MIN_NP".into(),
                max_name: "MAX_NP".into(),
            }
        );
        assert_eq!(
            err.to_string(),
            "launcher env MIN_NP (4) is greater than MAX_NP (2)"
        );
    }

    #[test]
    fn np_outside_bounds() {
        let err = cfg(&[("NP", "9"), ("MIN_NP", "1"), ("MAX_NP", "8")])
            .expect_err("np > max")
            .to_string();
        assert!(err.contains("within [1, 8]"), "{err}");
    }

    #[test]
    fn numbers_must_be_whole_and_in_range() {
        for (name, value) in [
            ("MIN_NP", "two"),
            ("MIN_NP", "-1"),
            ("MIN_NP", "1.5"),
            ("MIN_NP", ""),
        ] {
            let err = cfg(&[(name, value), ("MAX_NP", "4")])
                .expect_err(value)
                .to_string();
            assert!(err.contains("whole number"), "{err}");
        }
        let err = cfg(&[("MIN_NP", "0"), ("MAX_NP", "4")])
            .expect_err("zero")
            .to_string();
        assert!(err.contains("between 1 and 4096"), "{err}");
        let err = cfg(&[("MIN_NP", "1"), ("MAX_NP", "5000")])
            .expect_err("too many")
            .to_string();
        assert!(err.contains("MAX_NP is 5000"), "{err}");
        let err = cfg(&[("MIN_NP", "1"), ("EPOCHS", "0")])
            .expect_err("zero epochs")
            .to_string();
        assert!(err.contains("EPOCHS is 0"), "{err}");
        let err = cfg(&[("MIN_NP", "1"), ("JOB_PRIORITY", "-1")])
            .expect_err("negative priority")
            .to_string();
        assert!(err.contains("JOB_PRIORITY"), "{err}");
        // Whitespace around a number is what YAML block scalars leave behind.
        assert_eq!(cfg(&[("MIN_NP", " 2 ")]).expect("trimmed").workers.min, 2);
    }

    #[test]
    fn value_from_is_refused() {
        let mut c = containers(&[("MAX_NP", "4")]);
        if let Some(env) = c[0].env.as_mut() {
            env.push(EnvVar {
                name: "MIN_NP".into(),
                value: None,
                value_from: Some(Default::default()),
            });
        }
        let err = read_env_config(&c).expect_err("valueFrom").to_string();
        assert!(err.contains("literal value"), "{err}");
    }

    #[test]
    fn restart_policies_map_to_v2beta1() {
        assert_eq!(v2_restart_policy("Always".into()), "OnFailure");
        assert_eq!(v2_restart_policy("ExitCode".into()), "OnFailure");
        assert_eq!(v2_restart_policy("Never".into()), "Never");
        assert_eq!(v2_restart_policy("OnFailure".into()), "OnFailure");
    }
}
