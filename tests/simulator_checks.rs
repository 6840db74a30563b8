//! The simulator's checks: every job finishes; none finishes faster than its
//! work allows; GPUs in use never exceed capacity; the same inputs give
//! byte-identical output; a hand-computed FIFO case matches exactly; scaling
//! out shortens the mean JCT.

use std::path::PathBuf;
use std::process::Command;

use voda_scheduler::core::algorithms::Algorithm;
use voda_scheduler::core::job::WorkerRange;
use voda_scheduler::sim::engine::{Cluster, Config, Run, UsagePoint, simulate};
use voda_scheduler::sim::report::Summary;
use voda_scheduler::sim::speedup::SpeedupModel;
use voda_scheduler::sim::synthetic::{Synthetic, generate};
use voda_scheduler::sim::trace::{
    SingleCount, TIRESIAS_60JOB, Trace, TraceJob, parse_tiresias, parse_voda,
};

fn config(algorithm: Algorithm, nodes: u32, gpus_per_node: u32) -> Config {
    let cluster = Cluster {
        nodes,
        gpus_per_node,
    };
    Config::with_defaults(cluster, algorithm)
}

/// The invariants every run must satisfy, whatever the algorithm.
fn check_invariants(trace: &Trace, c: &Config, run: &Run) {
    let what = format!("{} on {}", run.algorithm, trace.source);
    // Every job finishes, exactly once, in trace order.
    assert_eq!(run.jobs.len(), trace.jobs.len(), "{what}");
    let gpus = c.cluster.gpus();
    for (job, result) in trace.jobs.iter().zip(&run.jobs) {
        assert_eq!(job.name, result.name, "{what}");
        assert!(result.finish.is_finite(), "{what}: {result:?}");
        assert!(
            result.submit <= result.first_start && result.first_start < result.finish,
            "{what}: {result:?}"
        );
        // No job beats its work at its best speedup, after one restart.
        let table = job.speedup_table();
        let best = (1..=job.workers.max.min(gpus))
            .map(|k| table.at(k))
            .fold(0.0_f64, f64::max);
        let fastest = c.model.restart_overhead + job.work / best;
        assert!(
            result.jct() >= fastest * (1.0 - 1e-9),
            "{what}: {} took {} s, less than the {fastest} s its work allows",
            job.name,
            result.jct()
        );
    }
    // GPUs in use never exceed capacity: after every single change of every
    // plan, on every node, and in the recorded usage.
    assert!(run.peak_gpus <= gpus, "{what}: peak {}", run.peak_gpus);
    assert!(
        run.peak_node_gpus <= c.cluster.gpus_per_node,
        "{what}: node peak {}",
        run.peak_node_gpus
    );
    assert!(run.usage.iter().all(|u| u.gpus <= gpus), "{what}");
    assert_eq!(run.usage.last().map(|u| u.gpus), Some(0), "{what}");
}

#[test]
fn every_algorithm_keeps_the_invariants_on_the_tiresias_trace() {
    let trace = parse_tiresias(
        TIRESIAS_60JOB,
        "tiresias-60job.csv",
        &SingleCount::default(),
    )
    .expect("embedded trace");
    for algorithm in Algorithm::ALL {
        let c = config(algorithm, 4, 8);
        let run = simulate(&trace, &c).expect("run");
        check_invariants(&trace, &c, &run);
    }
}

#[test]
fn every_algorithm_keeps_the_invariants_on_a_loaded_synthetic_trace() {
    // Load above 1 keeps a queue, so halts, Tiresias demotions and compaction
    // all happen; two node sizes make cross-node jobs and migrations happen.
    let trace = generate(&Synthetic {
        jobs: 300,
        seed: 11,
        load: 1.3,
        gpus: 32,
        single: SingleCount::default(),
    })
    .expect("synthetic");
    for algorithm in Algorithm::ALL {
        let mut c = config(algorithm, 8, 4);
        c.policy.queues.thresholds = vec![600.0, 6000.0];
        let run = simulate(&trace, &c).expect("run");
        check_invariants(&trace, &c, &run);
    }
}

/// The hand-computed case. One node of 8 GPUs, FIFO, rigid jobs (min = max),
/// linear speedup, restart overhead 30 s, rate limit 30 s:
///
/// | job | submit | GPUs | duration |
/// |-----|--------|------|----------|
/// | a   | 0      | 4    | 100      |
/// | b   | 10     | 4    | 50       |
/// | c   | 20     | 2    | 60       |
///
/// - t=0: a arrives; the first trigger runs at once: a starts on 4 GPUs,
///   restarts until 30, runs 100 s, finishes at 130.
/// - t=10, t=20: b and c arrive inside the rate-limit window that opened at 0,
///   so both triggers coalesce into one reschedule at 30.
/// - t=30: FIFO gives a 4, b 4; c (2) does not fit in the 0 left. b restarts
///   until 60 and finishes at 110.
/// - t=110: b finishes; the window (30 + 30 = 60) is over, so the reschedule
///   runs at once: c starts on the 2 free GPUs, restarts until 140, finishes at 200.
/// - t=130: a finishes; the window since 110 is open, so the reschedule waits
///   until 140 and changes nothing. t=200: c finishes, a last (empty) reschedule.
///
/// JCTs 130, 100, 180 (mean 410/3); queueing 0, 20, 90; GPU-seconds
/// 4×130 + 4×80 + 2×90 = 1020 over 8 × 200, i.e. 63.75 %.
#[test]
fn a_hand_computed_three_job_fifo_case_matches_exactly() {
    let trace = parse_voda(
        "name,submit,min,requested,max,duration\n\
         a,0,4,4,4,100\n\
         b,10,4,4,4,50\n\
         c,20,2,2,2,60\n",
        "hand.csv",
    )
    .expect("trace");
    let c = config(Algorithm::Fifo, 1, 8);
    let run = simulate(&trace, &c).expect("run");
    check_invariants(&trace, &c, &run);

    let got: Vec<(&str, f64, f64, f64, f64, f64)> = run
        .jobs
        .iter()
        .map(|j| {
            (
                j.name.as_str(),
                j.first_start,
                j.finish,
                j.jct(),
                j.queueing_delay,
                j.gpu_seconds,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("a", 0.0, 130.0, 130.0, 0.0, 520.0),
            ("b", 30.0, 110.0, 100.0, 20.0, 320.0),
            ("c", 110.0, 200.0, 180.0, 90.0, 180.0),
        ]
    );
    assert!(
        run.jobs
            .iter()
            .all(|j| (j.starts, j.halts, j.rescales, j.migrations) == (1, 0, 0, 0))
    );
    assert_eq!(run.reschedules, 5); // at 0, 30, 110, 140, 200
    let usage: Vec<(f64, u32)> = run.usage.iter().map(|u| (u.time, u.gpus)).collect();
    assert_eq!(
        usage,
        vec![(0.0, 4), (30.0, 8), (110.0, 6), (130.0, 2), (200.0, 0)]
    );

    let s = Summary::of(&run);
    assert_eq!(s.mean_jct, 410.0 / 3.0);
    assert_eq!(s.median_jct, 130.0);
    assert_eq!(s.makespan, 200.0);
    assert_eq!(s.gpu_utilisation, 0.6375);
    assert_eq!(s.mean_queueing_delay, 110.0 / 3.0);
}

#[test]
fn scaling_out_shortens_the_mean_jct_against_fifo() {
    // Three elastic jobs (1 to 8 workers, Amdahl 0.95) on 8 GPUs: FIFO runs
    // each on its minimum of 1; ElasticFIFO hands the idle GPUs out.
    let model = SpeedupModel::Amdahl(0.95);
    let trace = Trace {
        source: "elastic".into(),
        jobs: [("a", 0.0), ("b", 0.0), ("c", 600.0)]
            .into_iter()
            .map(|(name, submit)| {
                TraceJob::new(
                    name.into(),
                    "elastic".into(),
                    submit,
                    WorkerRange {
                        min: 1,
                        max: 8,
                        requested: 1,
                    },
                    2000.0,
                    model.clone(),
                )
            })
            .collect(),
    };
    let mean = |algorithm| {
        let c = config(algorithm, 1, 8);
        let run = simulate(&trace, &c).expect("run");
        check_invariants(&trace, &c, &run);
        Summary::of(&run).mean_jct
    };
    let (fifo, elastic) = (mean(Algorithm::Fifo), mean(Algorithm::ElasticFifo));
    // FIFO: each job 30 + 2000 s.
    assert_eq!(fifo, 2030.0);
    assert!(elastic < 0.5 * fifo, "ElasticFIFO {elastic} vs FIFO {fifo}");
}

fn binary(args: &[&str], dir: &std::path::Path) -> (String, Vec<u8>, Vec<u8>) {
    let out = Command::new(env!("CARGO_BIN_EXE_voda-scheduler"))
        .current_dir(dir)
        .arg("simulate")
        .args(args)
        .output()
        .expect("binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |f: &str| std::fs::read(dir.join(f)).expect("output file");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        read("jobs.csv"),
        read("chart.svg"),
    )
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("voda-sim-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

#[test]
fn the_same_inputs_and_seed_give_byte_identical_output() {
    let args = [
        "--synthetic",
        "200",
        "--seed",
        "5",
        "--nodes",
        "4",
        "--gpus-per-node",
        "4",
        "--algorithm",
        "all",
        "--format",
        "json",
        "--jobs-csv",
        "jobs.csv",
        "--chart",
        "chart.svg",
    ];
    let (a, b) = (scratch("a"), scratch("b"));
    let first = binary(&args, &a);
    let second = binary(&args, &b);
    assert!(first == second, "two runs of the same inputs differ");
    assert!(first.0.contains("\"algorithm\": \"AFS-L\""), "{}", first.0);
    // Another seed, another trace.
    let mut other = args;
    other[3] = "6";
    assert!(binary(&other, &a).0 != first.0);
    for dir in [a, b] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn the_default_runs_the_embedded_trace_from_any_directory() {
    let dir = scratch("default");
    let out = Command::new(env!("CARGO_BIN_EXE_voda-scheduler"))
        .current_dir(&dir)
        .arg("simulate")
        .output()
        .expect("binary runs");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("60 jobs from tiresias-60job.csv on 4 × 8 GPUs"),
        "{stdout}"
    );
    // A heading, a header and one row per algorithm.
    assert_eq!(stdout.lines().count(), 2 + Algorithm::ALL.len(), "{stdout}");
    for algorithm in Algorithm::ALL {
        assert!(stdout.contains(algorithm.as_str()), "{stdout}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_bad_trace_is_refused_naming_file_line_and_field() {
    let dir = scratch("bad");
    let path = dir.join("bad.csv");
    std::fs::write(
        &path,
        "name,submit,min,requested,max,duration\na,0,1,1,1,10\nb,5,2,3,2,10\n",
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_voda-scheduler"))
        .args(["simulate", "--trace"])
        .arg(&path)
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.csv:3: field `requested`: requested 3 is outside [min, max] = [2, 2]"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn usage_points_are_a_step_function() {
    let trace = parse_tiresias(TIRESIAS_60JOB, "t", &SingleCount::default()).expect("trace");
    let run = simulate(&trace, &config(Algorithm::ElasticTiresias, 4, 8)).expect("run");
    let ok = run
        .usage
        .windows(2)
        .all(|w: &[UsagePoint]| w[0].time < w[1].time && w[0].gpus != w[1].gpus);
    assert!(ok, "{:?}", run.usage);
}
