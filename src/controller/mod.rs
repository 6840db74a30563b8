//! The imperative shell: kube-runtime watch loops around the pure core.

pub mod condition;
pub mod leader;
pub mod manager;
pub mod nodes;
