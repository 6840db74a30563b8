//! The scheduler's view of the cluster: one reflector store per kind it watches,
//! all filtered to its GPU type, and a notification whenever any of them changes.

use std::sync::Arc;

use futures::{StreamExt, TryStreamExt, stream};
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::runtime::reflector::{self, ObjectRef, Store, reflector};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use tokio::sync::Notify;

use crate::cache::{slim_job, slim_meta, slim_mpijob};
use crate::controller::nodes::{GpuNode, usable_gpus};
use crate::crd::{ACCELERATOR_LABEL, SchedulerPolicy, TrainingJob};
use crate::workload::labels;
use crate::workload::mpijob::MPIJob;

use super::templates::Templates;

/// Read-only caches of everything the scheduler of one GPU type looks at.
#[derive(Clone)]
pub struct Cluster {
    pub gpu_type: String,
    pub policies: Store<SchedulerPolicy>,
    pub jobs: Store<TrainingJob>,
    /// The MPIJob templates the job cache leaves out.
    pub templates: Templates,
    pub nodes: Store<Node>,
    pub mpijobs: Store<MPIJob>,
    pub pods: Store<Pod>,
    /// Notified (coalescing) whenever any store changed.
    pub changed: Arc<Notify>,
}

impl Cluster {
    /// Start the watches (in the background) and wait until every cache holds a
    /// full list, so the first decision is made on the whole picture.
    pub async fn start(client: Client, gpu_type: &str, namespace: Option<&str>) -> Self {
        let changed = Arc::new(Notify::new());
        let of_type =
            watcher::Config::default().labels(&format!("{}={gpu_type}", labels::GPU_TYPE));

        let (policies, policy_w) = reflector::store();
        let (jobs, job_w) = reflector::store();
        let (nodes, node_w) = reflector::store();
        let (mpijobs, mpijob_w) = reflector::store();
        let (pods, pod_w) = reflector::store();
        let templates = Templates::default();
        let keep_templates = templates.clone();

        let streams = vec![
            reflector(
                policy_w,
                watcher(
                    Api::<SchedulerPolicy>::all(client.clone()),
                    watcher::Config::default().fields(&format!("metadata.name={gpu_type}")),
                )
                .modify(slim_meta),
            )
            .default_backoff()
            .map(|_| ())
            .boxed(),
            reflector(
                job_w,
                watcher(
                    scoped::<TrainingJob>(client.clone(), namespace),
                    watcher::Config::default().fields(&format!("spec.gpuType={gpu_type}")),
                )
                .map_ok(move |event| {
                    keep_templates.observe(&event);
                    event
                })
                .modify(slim_job),
            )
            .default_backoff()
            .map(|_| ())
            .boxed(),
            reflector(
                node_w,
                watcher(
                    Api::<Node>::all(client.clone()),
                    watcher::Config::default().labels(&format!("{ACCELERATOR_LABEL}={gpu_type}")),
                )
                .modify(|n: &mut Node| {
                    slim_meta(n);
                    // Only labels, schedulability, Ready and allocatable are read.
                    if let Some(s) = n.status.as_mut() {
                        s.images = None;
                        s.capacity = None;
                        s.node_info = None;
                        s.addresses = None;
                        s.daemon_endpoints = None;
                    }
                }),
            )
            .default_backoff()
            .map(|_| ())
            .boxed(),
            reflector(
                mpijob_w,
                watcher(scoped::<MPIJob>(client.clone(), namespace), of_type.clone())
                    .modify(slim_mpijob),
            )
            .default_backoff()
            .map(|_| ())
            .boxed(),
            reflector(
                pod_w,
                watcher(scoped::<Pod>(client, namespace), of_type).modify(|p: &mut Pod| {
                    slim_meta(p);
                    // Placement reads labels, node, gates, affinity and tolerations.
                    p.status = None;
                    if let Some(s) = p.spec.as_mut() {
                        s.containers.clear();
                        s.init_containers = None;
                        s.volumes = None;
                    }
                }),
            )
            .default_backoff()
            .map(|_| ())
            .boxed(),
        ];
        let notify = changed.clone();
        tokio::spawn(stream::select_all(streams).for_each(move |()| {
            notify.notify_one();
            futures::future::ready(())
        }));

        let cluster = Self {
            gpu_type: gpu_type.to_owned(),
            policies,
            jobs,
            templates,
            nodes,
            mpijobs,
            pods,
            changed,
        };
        // Errors here only mean the writer was dropped, which ends the process anyway.
        let _ = cluster.policies.wait_until_ready().await;
        let _ = cluster.jobs.wait_until_ready().await;
        let _ = cluster.nodes.wait_until_ready().await;
        let _ = cluster.mpijobs.wait_until_ready().await;
        let _ = cluster.pods.wait_until_ready().await;
        cluster
    }

    pub fn policy(&self) -> Option<Arc<SchedulerPolicy>> {
        self.policies.get(&ObjectRef::new(&self.gpu_type))
    }

    /// Usable nodes of our GPU type, by name.
    pub fn gpu_nodes(&self) -> Vec<GpuNode> {
        let mut nodes: Vec<GpuNode> = self
            .nodes
            .state()
            .iter()
            .filter_map(|n| usable_gpus(n, &self.gpu_type))
            .collect();
        nodes.sort();
        nodes
    }

    pub fn mpijob(&self, key: &JobKey) -> Option<Arc<MPIJob>> {
        self.mpijobs
            .get(&ObjectRef::new(&key.name).within(&key.namespace))
    }

    pub fn job(&self, key: &JobKey) -> Option<Arc<TrainingJob>> {
        self.jobs
            .get(&ObjectRef::new(&key.name).within(&key.namespace))
    }
}

/// An API for one namespace, or for all.
fn scoped<K>(client: Client, namespace: Option<&str>) -> Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
{
    match namespace {
        Some(ns) => Api::namespaced(client, ns),
        None => Api::all(client),
    }
}

/// A TrainingJob's identity; the core knows it as `namespace/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobKey {
    pub namespace: String,
    pub name: String,
}

impl JobKey {
    pub fn of(job: &TrainingJob) -> Option<Self> {
        Some(Self {
            namespace: job.metadata.namespace.clone()?,
            name: job.metadata.name.clone()?,
        })
    }

    pub fn parse(core_name: &str) -> Option<Self> {
        let (namespace, name) = core_name.split_once('/')?;
        Some(Self {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        })
    }

    pub fn core_name(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}
