//! The imperative shell: kube-runtime watch loops around the pure core.

pub mod nodes;
