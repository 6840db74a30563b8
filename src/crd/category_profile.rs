//! `CategoryProfile`: what the finished jobs of one category learned about its speed on
//! one GPU type, so a new job of that category starts from it (DESIGN §7).
//!
//! Why a CRD and not a ConfigMap: the API server validates it (a ConfigMap is strings),
//! `kubectl get categoryprofiles` shows what has been learned, RBAC can grant it apart
//! from every ConfigMap of a namespace, and it lives in etcd like the jobs, so it
//! survives a restart of every process with no database. Why namespaced: categories
//! are job names (without the timestamp suffix), which belong to the namespace's
//! users; two teams' `resnet` need not be the same model. Why per GPU type: epoch
//! seconds on a V100 say little about a GTX 1080 Ti.
//!
//! The learned numbers are in `spec`, not `status`: the object exists only to hold
//! them, nothing else could rebuild them, and an operator may seed or correct a
//! category with `kubectl apply`.

// The repeated `printcolumn(type_ = ...)` keys of the kube derive are separate columns,
// not duplicated attributes.
#![allow(clippy::duplicated_attributes)]

use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

use crate::core::profile::Measurement;

/// Learned speed of one job category on one GPU type.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[kube(
    group = "vodascheduler.io",
    version = "v1alpha1",
    kind = "CategoryProfile",
    namespaced,
    shortname = "cprof",
    category = "vodascheduler",
    doc = "Epoch seconds by worker count learned from the finished TrainingJobs of one category on one GPU type; new jobs of the category start from it.",
    printcolumn(name = "Category", type_ = "string", json_path = ".spec.category"),
    printcolumn(name = "GPUType", type_ = "string", json_path = ".spec.gpuType"),
    printcolumn(
        name = "Jobs",
        type_ = "integer",
        json_path = ".spec.jobs",
        description = "Finished jobs learned from"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct CategoryProfileSpec {
    /// The category (TrainingJob spec.category, or its name without the timestamp suffix).
    #[schemars(length(min = 1, max = 253))]
    pub category: String,
    /// The GPU type the measurements were made on.
    #[schemars(length(min = 1, max = 63))]
    pub gpu_type: String,
    /// How many finished jobs the measurements come from.
    #[serde(default)]
    pub jobs: u64,
    /// Mean epoch and step seconds by worker count.
    #[serde(default)]
    pub measurements: Vec<Measurement>,
    /// UIDs of the last jobs learned from (at most 32), so that a manager restarting
    /// between learning and marking a job does not count it twice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recent_jobs: Vec<String>,
}

/// How many job UIDs `recentJobs` keeps.
pub const RECENT_JOBS: usize = 32;

/// The object name of the profile of `category` on `gpu_type` in a namespace:
/// `<gpuType>.<category>` when that is a valid name, else `<gpuType>.h<hash>` (a
/// category may hold characters an object name cannot); `spec` keeps the exact values.
pub fn object_name(gpu_type: &str, category: &str) -> String {
    let plain = format!("{gpu_type}.{category}");
    if crate::compat::naming::is_dns_subdomain(&plain) {
        plain
    } else {
        format!("{gpu_type}.h{:016x}", fnv1a(category.as_bytes()))
    }
}

/// FNV-1a, 64 bit: stable across builds and platforms, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_readable_when_they_can_be_and_stable_hashes_otherwise() {
        assert_eq!(
            object_name("nvidia-tesla-v100", "resnet50"),
            "nvidia-tesla-v100.resnet50"
        );
        let odd = object_name("nvidia-tesla-v100", "ResNet 50/ImageNet");
        assert_eq!(odd, object_name("nvidia-tesla-v100", "ResNet 50/ImageNet"));
        assert!(odd.starts_with("nvidia-tesla-v100.h"), "{odd}");
        assert!(crate::compat::naming::is_dns_subdomain(&odd));
        assert_ne!(odd, object_name("nvidia-tesla-v100", "ResNet 50/ImageNet2"));
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
