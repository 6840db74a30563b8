//! The MPIJob templates of the watched TrainingJobs, kept as compact JSON.
//!
//! The job cache drops pod templates (`cache::slim_job`: as structs they were most
//! of the scheduler's memory), so a start used to read the whole job from the API
//! server first: one more call per start while hundreds of jobs arrive at once.
//! The same watch events that fill the job cache fill this map, serialized, which
//! costs about the size of the YAML a user wrote per job.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use kube::runtime::watcher::Event;

use crate::crd::TrainingJob;
use crate::workload::mpijob::MpiJobTemplate;

#[derive(Clone, Default)]
pub struct Templates {
    inner: Arc<RwLock<Inner>>,
}

#[derive(Default)]
struct Inner {
    /// `spec.mpiJob` as JSON, by job uid (a job deleted and created again under the
    /// same name is another job).
    by_uid: HashMap<String, Box<str>>,
    /// Jobs seen since a relist began; the others are gone when it ends.
    relisting: Option<HashSet<String>>,
}

impl Templates {
    /// Follow one watch event of the TrainingJob watch (before slimming).
    pub fn observe(&self, event: &Event<TrainingJob>) {
        // Serialized before the lock is taken; `None` for a finished job, which
        // never starts again.
        let update = match event {
            Event::InitApply(job) | Event::Apply(job) => job.metadata.uid.clone().map(|uid| {
                let finished = job.status.as_ref().is_some_and(|s| s.phase.is_finished());
                let json = serde_json::to_string(&job.spec.mpi_job).ok();
                (uid, json.filter(|_| !finished))
            }),
            _ => None,
        };
        let Ok(mut inner) = self.inner.write() else {
            return;
        };
        match event {
            Event::Init => inner.relisting = Some(HashSet::new()),
            Event::InitApply(_) | Event::Apply(_) => match update {
                Some((uid, Some(json))) => {
                    if let Some(seen) = inner.relisting.as_mut() {
                        seen.insert(uid.clone());
                    }
                    inner.by_uid.insert(uid, json.into_boxed_str());
                }
                Some((uid, None)) => {
                    inner.by_uid.remove(&uid);
                }
                None => {}
            },
            Event::Delete(job) => {
                if let Some(uid) = &job.metadata.uid {
                    inner.by_uid.remove(uid);
                }
            }
            Event::InitDone => {
                if let Some(seen) = inner.relisting.take() {
                    inner.by_uid.retain(|uid, _| seen.contains(uid));
                }
            }
        }
    }

    /// `job` (a slimmed cache entry) with its MPIJob template back, if we hold the
    /// template of this very job.
    pub fn restore(&self, job: &TrainingJob) -> Option<TrainingJob> {
        let uid = job.metadata.uid.as_ref()?;
        let template: MpiJobTemplate = {
            let inner = self.inner.read().ok()?;
            serde_json::from_str(inner.by_uid.get(uid)?).ok()?
        };
        let mut full = job.clone();
        full.spec.mpi_job = template;
        Some(full)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner.read().map_or(0, |i| i.by_uid.len())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::cache::slim_job;

    fn job(name: &str, uid: &str, image: &str) -> TrainingJob {
        serde_json::from_value(json!({
            "apiVersion": "vodascheduler.io/v1alpha1", "kind": "TrainingJob",
            "metadata": {"name": name, "namespace": "ns", "uid": uid},
            "spec": {
                "gpuType": "g", "workers": {"min": 1, "max": 4},
                "mpiJob": {"slotsPerWorker": 1, "mpiReplicaSpecs": {
                    "Launcher": {"template": {"spec": {"containers": [{"name": "l", "image": image}]}}},
                    "Worker": {"template": {"spec": {"containers": [{"name": "w", "image": image}]}}}
                }}
            }
        }))
        .expect("a valid TrainingJob")
    }

    fn slim(mut j: TrainingJob) -> TrainingJob {
        slim_job(&mut j);
        j
    }

    #[test]
    fn a_slimmed_job_gets_its_whole_template_back() {
        let t = Templates::default();
        let a = job("a", "u1", "img:1");
        t.observe(&Event::Apply(a.clone()));
        let restored = t.restore(&slim(a.clone())).expect("held");
        assert_eq!(
            serde_json::to_value(&restored.spec).ok(),
            serde_json::to_value(&a.spec).ok()
        );
    }

    #[test]
    fn a_newer_version_replaces_the_template_and_a_recreated_job_is_not_mixed_up() {
        let t = Templates::default();
        t.observe(&Event::Apply(job("a", "u1", "img:1")));
        t.observe(&Event::Apply(job("a", "u1", "img:2")));
        let restored = t.restore(&slim(job("a", "u1", "img:1"))).expect("held");
        let image = serde_json::to_value(&restored.spec.mpi_job).expect("json")["mpiReplicaSpecs"]
            ["Worker"]["template"]["spec"]["containers"][0]["image"]
            .clone();
        assert_eq!(image, "img:2");
        // Same name, another uid: deleted and created again, not this template.
        assert!(t.restore(&slim(job("a", "u2", "img:3"))).is_none());
    }

    #[test]
    fn a_finished_job_is_forgotten() {
        let t = Templates::default();
        let mut a = job("a", "u1", "i");
        t.observe(&Event::Apply(a.clone()));
        a.status = serde_json::from_value(json!({"phase": "Completed"})).ok();
        t.observe(&Event::Apply(a.clone()));
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn deleted_jobs_and_jobs_missing_from_a_relist_are_forgotten() {
        let t = Templates::default();
        t.observe(&Event::Apply(job("a", "u1", "i")));
        t.observe(&Event::Apply(job("b", "u2", "i")));
        t.observe(&Event::Apply(job("c", "u3", "i")));
        t.observe(&Event::Delete(job("a", "u1", "i")));
        assert!(t.restore(&slim(job("a", "u1", "i"))).is_none());
        assert_eq!(t.len(), 2);
        // A relist that no longer has b (deleted while the watch was down).
        t.observe(&Event::Init);
        t.observe(&Event::InitApply(job("c", "u3", "i")));
        assert_eq!(
            t.len(),
            2,
            "nothing is dropped before the relist is complete"
        );
        t.observe(&Event::InitDone);
        assert_eq!(t.len(), 1);
        assert!(t.restore(&slim(job("c", "u3", "i"))).is_some());
    }
}
