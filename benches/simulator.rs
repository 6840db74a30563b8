//! Simulator speed: a Philly-like synthetic trace on 1,024 GPUs (128 nodes of 8),
//! per algorithm, growing the trace (1k, 3k, 10k, 30k, 100k jobs) until a run
//! would pass the 60 s budget. Prints a Markdown table for BENCHMARKS.md.
//!
//! ElasticFIFO always runs up to 100k jobs, whatever it takes (the headline
//! figure). `cargo bench --bench simulator` runs every algorithm; names after `--`
//! (e.g. `-- ElasticFIFO`) run only those. One run per size: a run is seconds
//! long, and the figure that matters is whether it fits the budget.

use std::time::Instant;

use voda_scheduler::core::algorithms::Algorithm;
use voda_scheduler::sim::engine::{Cluster, Config, simulate};
use voda_scheduler::sim::report::Summary;
use voda_scheduler::sim::synthetic::{Synthetic, generate};
use voda_scheduler::sim::trace::SingleCount;

// The binary's allocator, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SIZES: [usize; 5] = [1_000, 3_000, 10_000, 30_000, 100_000];
const BUDGET_SECONDS: f64 = 60.0;

fn main() {
    // `cargo test --all-targets` runs bench binaries without `--bench`: a quick
    // smoke run there, not ten minutes of measurements.
    if !std::env::args().any(|a| a == "--bench") {
        smoke();
        return;
    }
    let wanted: Vec<Algorithm> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let algorithms: Vec<Algorithm> = if wanted.is_empty() {
        Algorithm::ALL.to_vec()
    } else {
        wanted
    };
    let cluster = Cluster {
        nodes: 128,
        gpus_per_node: 8,
    };
    println!("| algorithm | jobs | wall s | CPU s | reschedules | rescales | migrations |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for algorithm in algorithms {
        let config = Config::with_defaults(cluster, algorithm);
        let mut best: Option<(usize, f64, f64, Summary)> = None;
        for &jobs in &SIZES {
            // Runs grow a little faster than linearly; skip a size that would
            // clearly blow the budget rather than wait for it.
            // ElasticFIFO at 100k jobs is the headline figure: always measured.
            let headline = algorithm == Algorithm::ElasticFifo;
            if let Some((n, secs, _, _)) = &best
                && !headline
            {
                let predicted = secs * (jobs as f64 / *n as f64) * 1.2;
                if predicted > BUDGET_SECONDS {
                    eprintln!("{algorithm}: {jobs} jobs predicted at {predicted:.0} s, skipped");
                    break;
                }
            }
            let trace = match generate(&Synthetic {
                jobs,
                seed: 1,
                load: 0.8,
                gpus: cluster.gpus(),
                single: SingleCount::default(),
            }) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("synthetic trace: {e}");
                    return;
                }
            };
            let started = Instant::now();
            let cpu_started = cpu_seconds();
            let run = match simulate(&trace, &config) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("{algorithm} with {jobs} jobs: {e}");
                    break;
                }
            };
            let secs = started.elapsed().as_secs_f64();
            let cpu = cpu_seconds() - cpu_started;
            eprintln!("{algorithm}: {jobs} jobs in {secs:.2} s ({cpu:.2} s CPU)");
            if secs > BUDGET_SECONDS && !headline {
                break;
            }
            best = Some((jobs, secs, cpu, Summary::of(&run)));
        }
        match best {
            Some((jobs, secs, cpu, s)) => println!(
                "| {algorithm} | {jobs} | {secs:.2} | {cpu:.2} | {} | {} | {} |",
                s.reschedules, s.rescales, s.migrations
            ),
            None => println!("| {algorithm} | – | > {BUDGET_SECONDS} | | | | |"),
        }
    }
}

/// User + system CPU seconds of this process so far (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields overall, in clock ticks (100 per second on Linux).
    let Some(rest) = stat.rsplit(')').next() else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// One small run per algorithm, to show the bench still works.
fn smoke() {
    let cluster = Cluster {
        nodes: 8,
        gpus_per_node: 8,
    };
    let trace = match generate(&Synthetic {
        jobs: 200,
        seed: 1,
        load: 0.8,
        gpus: cluster.gpus(),
        single: SingleCount::default(),
    }) {
        Ok(t) => t,
        Err(e) => panic!("synthetic trace: {e}"),
    };
    for algorithm in Algorithm::ALL {
        let config = Config::with_defaults(cluster, algorithm);
        if let Err(e) = simulate(&trace, &config) {
            panic!("{algorithm}: {e}");
        }
    }
    println!(
        "simulator bench: smoke run of every algorithm ok (cargo bench --bench simulator measures)"
    );
}
