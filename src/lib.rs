//! voda-scheduler: a Kubernetes-native GPU scheduler for elastic deep-learning training.
//!
//! `core` is the pure scheduling brain (no Kubernetes, no I/O, no clock of its own);
//! everything else is an imperative shell around it.

pub mod cache;
pub mod cache_ready;
pub mod cli;
pub mod compat;
pub mod controller;
pub mod core;
pub mod crd;
pub mod display;
pub mod metrics;
pub mod server;
pub mod sim;
pub mod workload;
