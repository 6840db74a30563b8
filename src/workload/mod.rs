//! The workloads we run: Kubeflow `kubeflow.org/v2beta1` MPIJobs.

pub mod build;
pub mod credential;
pub mod labels;
pub mod mpijob;
