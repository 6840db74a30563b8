//! The pure scheduling core: it takes a snapshot and returns a decision.
//!
//! Nothing in here talks to Kubernetes, reads a clock or does I/O, so the live
//! controller, the `allocate` command and the simulator all run the same rules.

pub mod accounting;
pub mod algorithms;
pub mod job;
pub mod placement;
pub mod plan;
pub mod profile;
pub mod queues;
pub mod rate_limit;
pub mod scheduler;
