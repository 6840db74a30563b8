//! The custom resources: `TrainingJob` (what a user asks for) and `SchedulerPolicy`
//! (how one GPU type is scheduled). Their generated CRD YAML lives in `crds/`.

pub mod category_profile;
pub mod conditions;
pub mod scheduler_policy;
pub mod training_job;

pub use category_profile::{CategoryProfile, CategoryProfileSpec};
pub use scheduler_policy::{
    Binding, PlacementSpec, SchedulerPolicy, SchedulerPolicySpec, SchedulerPolicyStatus,
    TiresiasSpec,
};
pub use training_job::{
    JobPhase, JobProfile, ProfileSource, TrainingJob, TrainingJobSpec, TrainingJobStatus,
    WorkerBounds,
};

/// API group of both resources.
pub const GROUP: &str = "vodascheduler.io";
/// Node label that says which GPU type a node has (kept from the old system).
pub const ACCELERATOR_LABEL: &str = "vodascheduler/accelerator";
/// Legacy taint key used by the taint/toleration binding mode.
pub const HOSTNAME_TAINT: &str = "vodascheduler/hostname";

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps,
};
use kube::CustomResourceExt;

/// The TrainingJob CRD as we install it.
///
/// The two embedded pod templates would carry Kubernetes' whole PodSpec documentation
/// twice (over 1 MB); without their descriptions the CRD stays small enough for etcd
/// and server-side apply while the API server still validates every pod field.
pub fn training_job_crd() -> CustomResourceDefinition {
    let mut crd = TrainingJob::crd();
    for version in &mut crd.spec.versions {
        let templates = version
            .schema
            .as_mut()
            .and_then(|s| s.open_api_v3_schema.as_mut())
            .and_then(|s| child(s, "spec"))
            .and_then(|s| child(s, "mpiJob"))
            .and_then(|s| child(s, "mpiReplicaSpecs"));
        if let Some(specs) = templates {
            for replica in specs.properties.iter_mut().flat_map(|p| p.values_mut()) {
                if let Some(template) = child(replica, "template") {
                    strip_descriptions(template);
                }
            }
        }
    }
    crd
}

/// The CategoryProfile CRD as we install it.
pub fn category_profile_crd() -> CustomResourceDefinition {
    CategoryProfile::crd()
}

/// The SchedulerPolicy CRD as we install it.
pub fn scheduler_policy_crd() -> CustomResourceDefinition {
    SchedulerPolicy::crd()
}

fn child<'a>(schema: &'a mut JSONSchemaProps, name: &str) -> Option<&'a mut JSONSchemaProps> {
    schema.properties.as_mut()?.get_mut(name)
}

fn strip_descriptions(schema: &mut JSONSchemaProps) {
    schema.description = None;
    for p in schema.properties.iter_mut().flat_map(|p| p.values_mut()) {
        strip_descriptions(p);
    }
    if let Some(k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::JSONSchemaPropsOrArray::Schema(items)) = schema.items.as_mut() {
        strip_descriptions(items);
    }
    if let Some(k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::JSONSchemaPropsOrBool::Schema(extra)) =
        schema.additional_properties.as_mut()
    {
        strip_descriptions(extra);
    }
}
