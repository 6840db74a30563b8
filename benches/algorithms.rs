//! Every allocation algorithm on seeded, deterministic snapshots.
//!
//! Targets (DESIGN §5, not asserted): under 10 ms at 10,000 ready jobs on 4,096
//! GPUs; FfDLOptimizer at 1,000 jobs on 1,024 GPUs.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use voda_scheduler::core::algorithms::{Algorithm, Params};
use voda_scheduler::core::job::{JobInfo, Speedup, WorkerRange};

/// SplitMix64: tiny, seeded, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + (self.next() % u64::from(hi - lo + 1)) as u32
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A mix of linear, concave (power law), Amdahl, and measured-looking tables
/// (noisy, sometimes non-monotonic, sometimes shorter than `max`).
fn speedup(rng: &mut Rng, max: u32) -> Speedup {
    let len = max as usize + 1;
    match rng.range(0, 3) {
        0 => Speedup::linear(),
        1 => {
            let p = 0.6 + 0.35 * rng.unit();
            Speedup((0..len).map(|k| (k as f64).powf(p)).collect())
        }
        2 => {
            let f = 0.8 + 0.19 * rng.unit();
            Speedup(
                (0..len)
                    .map(|k| {
                        if k == 0 {
                            0.0
                        } else {
                            1.0 / ((1.0 - f) + f / k as f64)
                        }
                    })
                    .collect(),
            )
        }
        _ => {
            let measured = rng.range(1, max) as usize + 1;
            Speedup(
                (0..measured)
                    .map(|k| k as f64 * (0.7 + 0.3 * rng.unit()))
                    .collect(),
            )
        }
    }
}

fn snapshot(n: usize, seed: u64) -> Vec<JobInfo> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| {
            let min = rng.range(1, 16);
            let max = rng.range(min, 16);
            let requested = rng.range(min, max);
            JobInfo {
                name: format!("job-{i:05}"),
                // Coarse submit times, so ties fall back to the name.
                submit_time: f64::from(rng.range(0, (n / 2) as u32)),
                first_start_time: (rng.range(0, 1) == 0).then(|| f64::from(rng.range(0, 10_000))),
                queue: [0, 0, 0, 1, 1, 2][rng.range(0, 5) as usize],
                workers: WorkerRange {
                    min,
                    max,
                    requested,
                },
                remaining_seconds: f64::from(rng.range(60, 100_000)),
                speedup: speedup(&mut rng, max),
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let params = Params::default();
    let mut group = c.benchmark_group("algorithms");
    for algo in Algorithm::ALL {
        let cases: &[(usize, u32)] = match algo {
            Algorithm::FfdlOptimizer => &[(1_000, 1_024), (1_000, 4_096), (10_000, 4_096)],
            _ => &[(1_000, 4_096), (10_000, 4_096)],
        };
        for &(n, gpus) in cases {
            let jobs = snapshot(n, 42);
            group.bench_with_input(
                BenchmarkId::new(algo.as_str(), format!("{n}jobs-{gpus}gpus")),
                &jobs,
                |b, jobs| b.iter(|| algo.allocate(black_box(gpus), black_box(jobs), &params)),
            );
        }
    }
    // Stress shapes, beyond the targets: every min is 1. FfDL's prefix then holds
    // min(n, G) jobs with the widest budget band; AFS-L starts thousands of jobs,
    // one tournament each.
    for (algo, n, gpus) in [
        (Algorithm::FfdlOptimizer, 1_000, 1_024),
        (Algorithm::AfsL, 10_000, 4_096),
    ] {
        let mut ones = snapshot(n, 7);
        for j in &mut ones {
            j.workers.min = 1;
            j.workers.requested = 1;
        }
        group.bench_with_input(
            BenchmarkId::new(algo.as_str(), format!("{n}jobs-{gpus}gpus-all-min-1")),
            &ones,
            |b, jobs| b.iter(|| algo.allocate(black_box(gpus), black_box(jobs), &params)),
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
