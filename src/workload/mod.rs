//! The workloads we run: Kubeflow `kubeflow.org/v2beta1` MPIJobs.

pub mod mpijob;
