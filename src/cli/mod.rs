//! Subcommands of the `voda-scheduler` binary.

pub mod allocate;
pub mod crd;
pub mod manager;
pub mod run;
pub mod scheduler;
