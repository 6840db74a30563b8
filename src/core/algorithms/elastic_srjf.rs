//! Not implemented yet (skeleton): allocates nothing.

use super::{Allocator, Params};
use crate::core::job::JobInfo;

pub struct ElasticSrjf;

impl Allocator for ElasticSrjf {
    fn allocate(&self, _gpus: u32, jobs: &[JobInfo], _params: &Params) -> Vec<u32> {
        vec![0; jobs.len()]
    }
}
