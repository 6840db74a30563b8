//! The trace-driven simulator: the scheduling core run in virtual time over a
//! job trace on a modelled cluster (`voda-scheduler simulate`).
//!
//! Nothing here decides anything: the core's [`Scheduler`](crate::core::scheduler::Scheduler)
//! (algorithms, time accounting, Tiresias queues, trigger coalescing, rate
//! limit) and [`place`](crate::core::placement::place) make every decision, and
//! the simulator only models what the cluster does with them: how fast jobs
//! progress, what restarts cost, and when things happen.
//!
//! - [`trace`]: trace formats and validation; [`synthetic`]: generated traces;
//!   [`speedup`]: speedup models.
//! - [`model`]: job progress and restart overhead; [`engine`]: the event loop.
//! - [`report`]: per-job CSV and summaries; [`chart`]: the SVG chart;
//!   [`cli`]: the subcommand.

pub mod chart;
pub mod cli;
pub mod engine;
pub mod model;
pub mod report;
pub mod speedup;
pub mod synthetic;
pub mod trace;
