//! Placement on 64 and 512 nodes of 8 GPUs (DESIGN §6), whole and step by step.
//!
//! The scenario is seeded so runs compare: jobs of 1–16 workers fill ~90% of
//! the cluster; today's pods are an earlier placement on shuffled node names
//! with some workers swapped between nodes (fragmentation); the new targets
//! drop some jobs, resize others and add new ones.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use voda_scheduler::core::placement::{
    CurrentBinding, CurrentJob, Nodes, assign_indices, match_layout, pack, place,
};

/// SplitMix64: tiny, seeded, good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// Worker counts as people ask for them: mostly powers of two.
    fn job_size(&mut self) -> u32 {
        match self.below(100) {
            0..20 => 1,
            20..40 => 2,
            40..60 => 4,
            60..75 => 8,
            75..80 => 16,
            _ => 1 + self.below(16) as u32,
        }
    }
}

struct Scenario {
    nodes: Nodes,
    targets: BTreeMap<String, u32>,
    current: CurrentBinding,
}

fn fill(rng: &mut Rng, targets: &mut BTreeMap<String, u32>, next_id: &mut u32, up_to: u32) {
    let mut used: u32 = targets.values().sum();
    while used < up_to {
        let w = rng.job_size().min(up_to - used);
        targets.insert(format!("job-{:05}", *next_id), w);
        *next_id += 1;
        used += w;
    }
}

fn scenario(n_nodes: usize, seed: u64) -> Scenario {
    let mut rng = Rng(seed);
    let nodes: Nodes = (0..n_nodes).map(|i| (format!("node-{i:04}"), 8)).collect();
    let capacity = 8 * n_nodes as u32;
    let mut next_id = 0;

    let mut before = BTreeMap::new();
    fill(&mut rng, &mut before, &mut next_id, capacity * 90 / 100);
    let earlier = place(&nodes, &before, &CurrentBinding::new()).expect("fits");

    // Today's pods: that placement on shuffled node names...
    let names: Vec<&String> = nodes.keys().collect();
    let mut perm: Vec<usize> = (0..n_nodes).collect();
    for i in (1..n_nodes).rev() {
        perm.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let index: BTreeMap<&String, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let mut pods: Vec<(String, u32, String)> = Vec::new();
    for (job, workers) in &earlier.workers {
        for (&i, node) in workers {
            pods.push((job.clone(), i, names[perm[index[node]]].clone()));
        }
    }
    // ...with 5% of the workers swapped pairwise between nodes.
    for _ in 0..pods.len() / 40 {
        let a = rng.below(pods.len() as u64) as usize;
        let b = rng.below(pods.len() as u64) as usize;
        let tmp = pods[a].2.clone();
        pods[a].2 = pods[b].2.clone();
        pods[b].2 = tmp;
    }
    let mut current = CurrentBinding::new();
    for (job, i, node) in pods {
        let entry = current.entry(job).or_insert_with(|| CurrentJob {
            workers: BTreeMap::new(),
            launcher: Some(node.clone()),
        });
        entry.workers.insert(i, node);
    }

    // New targets: 10% of jobs finish, 15% are resized, new jobs fill to ~95%.
    let mut targets = BTreeMap::new();
    for (job, &w) in &before {
        if rng.chance(10) {
            continue;
        }
        let w = if rng.chance(15) { rng.job_size() } else { w };
        targets.insert(job.clone(), w);
    }
    let mut used: u32 = targets.values().sum();
    while used > capacity {
        let (_, w) = targets.pop_last().expect("non-empty when over capacity");
        used -= w;
    }
    fill(&mut rng, &mut targets, &mut next_id, capacity * 95 / 100);
    Scenario {
        nodes,
        targets,
        current,
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("placement");
    for n in [64usize, 512] {
        let s = scenario(n, 0x5EED + n as u64);
        let p = place(&s.nodes, &s.targets, &s.current).expect("fits");
        eprintln!(
            "{n} nodes: {} jobs, {} workers, {} migrations, {} launchers deleted, {} jobs cross-node",
            s.targets.len(),
            s.targets.values().sum::<u32>(),
            p.migrations.len(),
            p.launchers_to_delete.len(),
            p.jobs_cross_node()
        );
        group.bench_with_input(BenchmarkId::new("place", n), &s, |b, s| {
            b.iter(|| {
                place(
                    black_box(&s.nodes),
                    black_box(&s.targets),
                    black_box(&s.current),
                )
            })
        });
        let layout = pack(&s.nodes, &s.targets).expect("fits");
        group.bench_with_input(BenchmarkId::new("pack", n), &s, |b, s| {
            b.iter(|| pack(black_box(&s.nodes), black_box(&s.targets)))
        });
        group.bench_with_input(BenchmarkId::new("match_layout", n), &s, |b, s| {
            b.iter(|| {
                match_layout(
                    black_box(&s.nodes),
                    black_box(&layout),
                    black_box(&s.current),
                )
            })
        });
        let planned = match_layout(&s.nodes, &layout, &s.current).expect("fits");
        group.bench_with_input(BenchmarkId::new("assign_indices", n), &s, |b, s| {
            b.iter(|| assign_indices(black_box(&planned), black_box(&s.current)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
