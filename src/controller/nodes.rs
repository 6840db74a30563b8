//! GPU capacity of one GPU type, read from Node objects.

use k8s_openapi::api::core::v1::Node;

use crate::crd::ACCELERATOR_LABEL;

/// Extended resource name of NVIDIA GPUs.
pub const GPU_RESOURCE: &str = "nvidia.com/gpu";

/// A node that can run workers of our GPU type now.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct GpuNode {
    pub name: String,
    pub gpus: u32,
}

/// The node's usable GPUs of `gpu_type`: `None` unless it carries the accelerator
/// label, is Ready, is schedulable and has allocatable GPUs. A cordoned or NotReady
/// node counts as lost capacity, so its jobs are rescheduled elsewhere.
pub fn usable_gpus(node: &Node, gpu_type: &str) -> Option<GpuNode> {
    let labels = node.metadata.labels.as_ref()?;
    if labels.get(ACCELERATOR_LABEL).map(String::as_str) != Some(gpu_type) {
        return None;
    }
    if node.spec.as_ref().and_then(|s| s.unschedulable) == Some(true) {
        return None;
    }
    let status = node.status.as_ref()?;
    let ready = status
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    if !ready {
        return None;
    }
    let gpus = status
        .allocatable
        .as_ref()?
        .get(GPU_RESOURCE)?
        .0
        .parse::<u32>()
        .ok()
        .filter(|&g| g > 0)?;
    Some(GpuNode {
        name: node.metadata.name.clone()?,
        gpus,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(label: &str, ready: &str, unschedulable: bool, gpus: &str) -> Node {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "n1", "labels": {ACCELERATOR_LABEL: label}},
            "spec": {"unschedulable": unschedulable},
            "status": {
                "allocatable": {GPU_RESOURCE: gpus},
                "conditions": [{"type": "Ready", "status": ready}]
            }
        }))
        .expect("valid node")
    }

    #[test]
    fn only_ready_schedulable_labelled_nodes_count() {
        let want = Some(GpuNode {
            name: "n1".into(),
            gpus: 4,
        });
        assert_eq!(usable_gpus(&node("v100", "True", false, "4"), "v100"), want);
        assert_eq!(usable_gpus(&node("k80", "True", false, "4"), "v100"), None);
        assert_eq!(
            usable_gpus(&node("v100", "False", false, "4"), "v100"),
            None
        );
        assert_eq!(
            usable_gpus(&node("v100", "Unknown", false, "4"), "v100"),
            None
        );
        assert_eq!(usable_gpus(&node("v100", "True", true, "4"), "v100"), None);
        assert_eq!(usable_gpus(&node("v100", "True", false, "0"), "v100"), None);
        assert_eq!(
            usable_gpus(&node("v100", "True", false, "lots"), "v100"),
            None
        );
    }
}
