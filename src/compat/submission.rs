//! The body of `POST /training` → the TrainingJob to create. Pure: no I/O, no clock.
//!
//! The body is the YAML of an old-style MPIJob (converted by `legacy_mpijob`) or of a
//! TrainingJob. Either way the job is named `<metadata.name>-YYYYMMDD-hhmmss` and the
//! launcher's `JOB_NAME` env is set to that name, as the old training service did, so
//! the training script reports progress under the name the scheduler knows.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{EnvVar, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;

use super::legacy_mpijob::{self, LegacyMpiJob, MAX_WORKERS};
use super::naming::{self, NameError};
use crate::crd::{TrainingJob, TrainingJobSpec, WorkerBounds};

/// The env var the training script reads its job name from.
pub const JOB_NAME_ENV: &str = "JOB_NAME";

const MPIJOB_VERSIONS: [&str; 2] = ["kubeflow.org/v1", "kubeflow.org/v2beta1"];
const TRAININGJOB_VERSION: &str = "vodascheduler.io/v1alpha1";
/// Annotations that describe the posted object, not the job, and are not copied.
const DROPPED_ANNOTATIONS: [&str; 1] = ["kubectl.kubernetes.io/last-applied-configuration"];

/// Why a posted body cannot become a job. Every variant is the client's mistake (4xx),
/// and its message is one line saying what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    #[error(
        "empty body: send the YAML of an MPIJob or a TrainingJob (curl --data-binary @job.yaml)"
    )]
    Empty,
    #[error("the body is not UTF-8 text: send the YAML of an MPIJob or a TrainingJob")]
    NotUtf8,
    #[error("malformed YAML: {0}")]
    Yaml(String),
    #[error(
        "the body is the string {0:?}, not a job: the server reads no files for a client; send the file's content (curl --data-binary @job.yaml)"
    )]
    StringBody(String),
    #[error(
        "the body is not a Kubernetes object: send the YAML of an MPIJob or a TrainingJob, with apiVersion and kind"
    )]
    NotAnObject,
    #[error("kind {0:?} is neither MPIJob nor TrainingJob")]
    UnsupportedKind(String),
    #[error("apiVersion {api_version:?} is not supported for kind {kind}: use {expected}")]
    UnsupportedVersion {
        kind: &'static str,
        api_version: String,
        expected: String,
    },
    #[error(
        "no GPU type: set the worker nodeSelector vodascheduler/accelerator (MPIJob) or spec.gpuType (TrainingJob)"
    )]
    NoGpuType,
    #[error("{min_name} ({min}) is greater than {max_name} ({max})")]
    MinAboveMax {
        min: u32,
        max: u32,
        min_name: String,
        max_name: String,
    },
    #[error(
        "metadata.namespace is {given:?}, but this service creates jobs in namespace {served:?}: remove metadata.namespace or post to the service of that namespace"
    )]
    WrongNamespace { given: String, served: String },
    #[error(transparent)]
    Name(#[from] NameError),
    #[error("{0}")]
    Invalid(String),
}

/// A job as posted, before it gets its final name.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    /// `metadata.name` as posted.
    pub base_name: String,
    /// `metadata.namespace` as posted, if any.
    pub namespace: Option<String>,
    pub labels: Option<BTreeMap<String, String>>,
    pub annotations: Option<BTreeMap<String, String>>,
    pub spec: TrainingJobSpec,
    /// What was posted, for logs and metrics: "MPIJob" or "TrainingJob".
    pub kind: &'static str,
}

/// Parses and validates a posted body.
pub fn parse(body: &[u8]) -> Result<Submission, SubmitError> {
    let text = std::str::from_utf8(body).map_err(|_| SubmitError::NotUtf8)?;
    if text.trim().is_empty() {
        return Err(SubmitError::Empty);
    }
    // First untyped, to tell what was sent; then typed from the text again, so that
    // errors carry the YAML path and line of the offending field.
    let value: Value = serde_norway::from_str(text).map_err(yaml_error)?;
    let map = match value {
        Value::Object(map) => map,
        // The old, never-released API took a JSON string holding a file path; reading
        // files named by a client would let anyone read the server's files.
        Value::String(s) => return Err(SubmitError::StringBody(s)),
        _ => return Err(SubmitError::NotAnObject),
    };
    let field = |k: &str| map.get(k).and_then(Value::as_str).unwrap_or_default();
    let (kind, api_version) = (field("kind"), field("apiVersion"));
    match kind {
        "MPIJob" => {
            if !MPIJOB_VERSIONS.contains(&api_version) {
                return Err(SubmitError::UnsupportedVersion {
                    kind: "MPIJob",
                    api_version: api_version.to_owned(),
                    expected: MPIJOB_VERSIONS.join(" or "),
                });
            }
            let job: LegacyMpiJob = serde_norway::from_str(text).map_err(yaml_error)?;
            let (metadata, spec) = legacy_mpijob::convert(job)?;
            submission(metadata, spec, "MPIJob")
        }
        "TrainingJob" => {
            if api_version != TRAININGJOB_VERSION {
                return Err(SubmitError::UnsupportedVersion {
                    kind: "TrainingJob",
                    api_version: api_version.to_owned(),
                    expected: TRAININGJOB_VERSION.to_owned(),
                });
            }
            if !map
                .get("spec")
                .and_then(Value::as_object)
                .is_some_and(|s| s.contains_key("gpuType"))
            {
                return Err(SubmitError::NoGpuType);
            }
            let job: TrainingJob = serde_norway::from_str(text).map_err(yaml_error)?;
            check_training_job_spec(&job.spec)?;
            submission(job.metadata, job.spec, "TrainingJob")
        }
        "" if api_version.is_empty() => Err(SubmitError::NotAnObject),
        "" => Err(SubmitError::UnsupportedKind(String::new())),
        other => Err(SubmitError::UnsupportedKind(other.to_owned())),
    }
}

fn yaml_error(e: serde_norway::Error) -> SubmitError {
    SubmitError::Yaml(e.to_string())
}

fn submission(
    metadata: ObjectMeta,
    spec: TrainingJobSpec,
    kind: &'static str,
) -> Result<Submission, SubmitError> {
    let base_name = metadata.name.unwrap_or_default();
    if base_name.is_empty() {
        return Err(SubmitError::Name(NameError::Empty));
    }
    let annotations = metadata.annotations.map(|mut a| {
        for k in DROPPED_ANNOTATIONS {
            a.remove(k);
        }
        a
    });
    Ok(Submission {
        base_name,
        namespace: metadata.namespace.filter(|ns| !ns.is_empty()),
        labels: metadata.labels,
        annotations: annotations.filter(|a| !a.is_empty()),
        spec,
        kind,
    })
}

/// The checks the CRD's schema and CEL rules also make, made here first so the reply
/// names the problem the way the rest of this API does.
fn check_training_job_spec(spec: &TrainingJobSpec) -> Result<(), SubmitError> {
    if spec.gpu_type.is_empty() {
        return Err(SubmitError::NoGpuType);
    }
    if !naming::is_dns_label(&spec.gpu_type) {
        return Err(SubmitError::Invalid(format!(
            "spec.gpuType {:?} is not a valid GPU type name: use lower-case letters, digits and '-', at most 63",
            spec.gpu_type
        )));
    }
    check_bounds(&spec.workers)?;
    if spec.mpi_job.mpi_replica_specs.worker.replicas.is_some() {
        return Err(SubmitError::Invalid(
            "spec.mpiJob.mpiReplicaSpecs.Worker.replicas is set: the scheduler sets the worker count; remove it and use spec.workers".into(),
        ));
    }
    if spec
        .mpi_job
        .mpi_replica_specs
        .launcher
        .replicas
        .is_some_and(|r| r != 1)
    {
        return Err(SubmitError::Invalid(
            "spec.mpiJob.mpiReplicaSpecs.Launcher.replicas must be 1".into(),
        ));
    }
    for (role, template) in [
        (
            "Launcher",
            &spec.mpi_job.mpi_replica_specs.launcher.template,
        ),
        ("Worker", &spec.mpi_job.mpi_replica_specs.worker.template),
    ] {
        if template
            .spec
            .as_ref()
            .is_none_or(|s| s.containers.is_empty())
        {
            return Err(SubmitError::Invalid(format!(
                "spec.mpiJob.mpiReplicaSpecs.{role}.template has no containers"
            )));
        }
    }
    Ok(())
}

fn check_bounds(w: &WorkerBounds) -> Result<(), SubmitError> {
    for (name, v) in [
        ("min", Some(w.min)),
        ("max", Some(w.max)),
        ("requested", w.requested),
    ] {
        if let Some(v) = v
            && (v == 0 || v > MAX_WORKERS)
        {
            return Err(SubmitError::Invalid(format!(
                "spec.workers.{name} is {v}: a worker count must be between 1 and {MAX_WORKERS}"
            )));
        }
    }
    if w.min > w.max {
        return Err(SubmitError::MinAboveMax {
            min: w.min,
            max: w.max,
            min_name: "spec.workers.min".into(),
            max_name: "spec.workers.max".into(),
        });
    }
    if let Some(r) = w.requested
        && (r < w.min || r > w.max)
    {
        return Err(SubmitError::Invalid(format!(
            "spec.workers.requested is {r}: it must be within [{}, {}] (spec.workers.min, spec.workers.max)",
            w.min, w.max
        )));
    }
    Ok(())
}

impl Submission {
    /// The TrainingJob to create in `namespace` for a job posted at `now`.
    pub fn into_training_job(
        self,
        namespace: &str,
        now: Timestamp,
    ) -> Result<TrainingJob, SubmitError> {
        if let Some(given) = &self.namespace
            && given != namespace
        {
            return Err(SubmitError::WrongNamespace {
                given: given.clone(),
                served: namespace.to_owned(),
            });
        }
        naming::check_base_name(&self.base_name, self.spec.workers.max)?;
        let name = naming::suffixed_name(&self.base_name, now);
        let mut spec = self.spec;
        set_job_name_env(
            Arc::make_mut(&mut spec.mpi_job.mpi_replica_specs.launcher.template),
            &name,
        );
        Ok(TrainingJob {
            metadata: ObjectMeta {
                name: Some(name),
                namespace: Some(namespace.to_owned()),
                labels: self.labels,
                annotations: self.annotations,
                ..ObjectMeta::default()
            },
            spec,
            status: None,
        })
    }
}

/// Sets `JOB_NAME` wherever the launcher defines it, and adds it to the main (first)
/// container when no container does, like the old service's `setEnvJobName`.
pub fn set_job_name_env(launcher: &mut PodTemplateSpec, name: &str) {
    let Some(pod) = launcher.spec.as_mut() else {
        return;
    };
    let mut found = false;
    for var in pod
        .containers
        .iter_mut()
        .flat_map(|c| c.env.iter_mut().flatten())
        .filter(|e| e.name == JOB_NAME_ENV)
    {
        var.value = Some(name.to_owned());
        var.value_from = None;
        found = true;
    }
    if !found && let Some(main) = pod.containers.first_mut() {
        main.env.get_or_insert_with(Vec::new).push(EnvVar {
            name: JOB_NAME_ENV.to_owned(),
            value: Some(name.to_owned()),
            value_from: None,
        });
    }
}

#[cfg(test)]
#[path = "submission_tests.rs"]
mod tests;
