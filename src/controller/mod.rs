//! The imperative shell: kube-runtime watch loops around the pure core.

pub mod clock;
pub mod condition;
pub mod leader;
pub mod manager;
pub mod nodes;
pub mod profiles;
pub mod scheduler;
