//! The eight allocation algorithms of DESIGN §5, one file each.
//!
//! Every algorithm maps (GPUs, ready jobs) to workers per job, aligned with the
//! input slice. Invariants, checked by the property tests: every job gets 0 or a
//! value in `[min, max]`, the sum never exceeds the GPUs, and the result does not
//! depend on the order in which jobs are given (everything sorts stably over the
//! canonical order: submit time, then name).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::job::JobInfo;

mod afs_l;
mod common;
mod elastic_fifo;
mod elastic_srjf;
mod elastic_tiresias;
mod ffdl_optimizer;
mod fifo;
mod srjf;
mod tiresias;

/// Knobs some algorithms read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// ElasticTiresias: when more than this many jobs are left at 0 after phase 1,
    /// allocated jobs in queues ≥ 1 shrink to their minimum.
    pub compaction_threshold: u32,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            compaction_threshold: 10,
        }
    }
}

/// One allocation algorithm.
pub trait Allocator {
    /// Workers per job, `result[i]` for `jobs[i]`.
    fn allocate(&self, gpus: u32, jobs: &[JobInfo], params: &Params) -> Vec<u32>;
}

/// The algorithm names users write (SchedulerPolicy, `PUT /algorithm`, `allocate`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Serialize,
    Deserialize,
    JsonSchema,
)]
pub enum Algorithm {
    #[serde(rename = "FIFO")]
    Fifo,
    #[default]
    #[serde(rename = "ElasticFIFO")]
    ElasticFifo,
    #[serde(rename = "SRJF")]
    Srjf,
    #[serde(rename = "ElasticSRJF")]
    ElasticSrjf,
    Tiresias,
    ElasticTiresias,
    #[serde(rename = "FfDLOptimizer")]
    FfdlOptimizer,
    #[serde(rename = "AFS-L")]
    AfsL,
}

impl Algorithm {
    pub const ALL: [Algorithm; 8] = [
        Algorithm::Fifo,
        Algorithm::ElasticFifo,
        Algorithm::Srjf,
        Algorithm::ElasticSrjf,
        Algorithm::Tiresias,
        Algorithm::ElasticTiresias,
        Algorithm::FfdlOptimizer,
        Algorithm::AfsL,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Fifo => "FIFO",
            Algorithm::ElasticFifo => "ElasticFIFO",
            Algorithm::Srjf => "SRJF",
            Algorithm::ElasticSrjf => "ElasticSRJF",
            Algorithm::Tiresias => "Tiresias",
            Algorithm::ElasticTiresias => "ElasticTiresias",
            Algorithm::FfdlOptimizer => "FfDLOptimizer",
            Algorithm::AfsL => "AFS-L",
        }
    }

    /// Comma-separated valid names, for error messages.
    pub fn valid_names() -> String {
        Self::ALL.map(Algorithm::as_str).join(", ")
    }

    /// Whether Tiresias queues (demotion/promotion) apply.
    pub fn uses_queues(self) -> bool {
        matches!(self, Algorithm::Tiresias | Algorithm::ElasticTiresias)
    }

    /// Whether the algorithm reads jobs' remaining seconds (DESIGN §5).
    pub fn uses_remaining_time(self) -> bool {
        matches!(
            self,
            Algorithm::Srjf | Algorithm::ElasticSrjf | Algorithm::AfsL
        )
    }

    /// Whether the algorithm reads jobs' speedup tables (DESIGN §5).
    pub fn uses_speedup(self) -> bool {
        matches!(
            self,
            Algorithm::ElasticTiresias | Algorithm::FfdlOptimizer | Algorithm::AfsL
        )
    }

    fn allocator(self) -> &'static dyn Allocator {
        match self {
            Algorithm::Fifo => &fifo::Fifo,
            Algorithm::ElasticFifo => &elastic_fifo::ElasticFifo,
            Algorithm::Srjf => &srjf::Srjf,
            Algorithm::ElasticSrjf => &elastic_srjf::ElasticSrjf,
            Algorithm::Tiresias => &tiresias::Tiresias,
            Algorithm::ElasticTiresias => &elastic_tiresias::ElasticTiresias,
            Algorithm::FfdlOptimizer => &ffdl_optimizer::FfdlOptimizer,
            Algorithm::AfsL => &afs_l::AfsL,
        }
    }

    /// Run this algorithm: workers per job, aligned with `jobs`.
    pub fn allocate(self, gpus: u32, jobs: &[JobInfo], params: &Params) -> Vec<u32> {
        self.allocator().allocate(gpus, jobs, params)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An algorithm name that is not one of the eight.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown algorithm {name:?}; valid algorithms are: {valid}", valid = Algorithm::valid_names())]
pub struct UnknownAlgorithm {
    pub name: String,
}

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| UnknownAlgorithm { name: s.to_owned() })
    }
}

/// Canonical order: submit time, then name. `total_cmp` keeps it total even for NaN.
pub fn canonical_cmp(a: &JobInfo, b: &JobInfo) -> Ordering {
    a.submit_time
        .total_cmp(&b.submit_time)
        .then_with(|| a.name.cmp(&b.name))
}

/// Indices of `jobs` in canonical order.
pub fn canonical_order(jobs: &[JobInfo]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..jobs.len()).collect();
    idx.sort_by(|&a, &b| canonical_cmp(&jobs[a], &jobs[b]));
    idx
}
