//! What the watch caches drop: every process keeps reflector stores of objects
//! that are mostly fields it never reads, and with thousands of jobs those
//! fields were most of its memory.

use std::sync::{Arc, LazyLock};

use k8s_openapi::api::core::v1::PodTemplateSpec;
use kube::ResourceExt;

use crate::crd::TrainingJob;
use crate::workload::mpijob::{MPIJob, MpiReplicaSpecs};

/// The one empty pod template every slimmed object points at.
static EMPTY_TEMPLATE: LazyLock<Arc<PodTemplateSpec>> = LazyLock::new(Arc::default);

/// What no cache of ours reads but every object carries: managed fields and the
/// last-applied annotation (a full copy of the object for `kubectl apply` users).
pub fn slim_meta<K: kube::Resource>(obj: &mut K) {
    obj.managed_fields_mut().clear();
    if let Some(a) = obj.meta_mut().annotations.as_mut() {
        a.remove("kubectl.kubernetes.io/last-applied-configuration");
    }
}

/// A TrainingJob without its metadata extras and its pod templates, which are
/// most of its size and needed only when the job starts (the scheduler keeps
/// them apart as compact JSON, `controller::scheduler::templates`).
pub fn slim_job(job: &mut TrainingJob) {
    slim_meta(job);
    drop_templates(&mut job.spec.mpi_job.mpi_replica_specs);
}

/// An MPIJob as the scheduler reads it: worker replicas and conditions.
pub fn slim_mpijob(job: &mut MPIJob) {
    slim_meta(job);
    drop_templates(&mut job.spec.template.mpi_replica_specs);
}

fn drop_templates(specs: &mut MpiReplicaSpecs) {
    specs.launcher.template = EMPTY_TEMPLATE.clone();
    specs.worker.template = EMPTY_TEMPLATE.clone();
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_slim_job_keeps_what_scheduling_reads_and_drops_the_templates() {
        let mut job: TrainingJob = serde_json::from_value(json!({
            "apiVersion": "vodascheduler.io/v1alpha1",
            "kind": "TrainingJob",
            "metadata": {
                "name": "a", "namespace": "ns", "uid": "u1",
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}", "keep": "x"},
                "managedFields": [{"manager": "kubectl", "operation": "Apply"}]
            },
            "spec": {
                "gpuType": "g", "workers": {"min": 1, "max": 4}, "epochs": 3,
                "mpiJob": {"mpiReplicaSpecs": {
                    "Launcher": {"template": {"spec": {"containers": [{"name": "l", "image": "i"}]}}},
                    "Worker": {"template": {"spec": {"containers": [{"name": "w", "image": "i"}]}}}
                }}
            }
        }))
        .expect("a valid TrainingJob");
        let before = job.spec.clone();
        slim_job(&mut job);
        assert!(
            job.metadata
                .managed_fields
                .as_ref()
                .is_none_or(Vec::is_empty)
        );
        let annotations = job.metadata.annotations.clone().unwrap_or_default();
        assert_eq!(annotations.len(), 1, "{annotations:?}");
        assert_eq!(job.spec.workers, before.workers);
        assert_eq!(job.spec.epochs, before.epochs);
        assert_eq!(job.spec.gpu_type, before.gpu_type);
        assert!(
            job.spec
                .mpi_job
                .mpi_replica_specs
                .worker
                .template
                .spec
                .is_none()
        );
        assert!(
            job.spec
                .mpi_job
                .mpi_replica_specs
                .launcher
                .template
                .spec
                .is_none()
        );
    }
}
