//! What a run means in numbers: the per-job CSV, and a summary per algorithm as
//! an aligned table or JSON.
//!
//! Percentiles interpolate linearly between closest ranks (numpy's default),
//! so the median of an even count is the mean of the two middle values.
//! Makespan runs from the first submission to the last finish; GPU utilisation
//! is GPU-seconds held (restarts included) over GPUs × makespan.

use std::fmt::Write as _;

use serde::Serialize;

use super::engine::Run;

/// The numbers of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub algorithm: String,
    pub jobs: usize,
    pub mean_jct: f64,
    pub median_jct: f64,
    pub p95_jct: f64,
    pub p99_jct: f64,
    pub mean_queueing_delay: f64,
    pub makespan: f64,
    /// In [0, 1].
    pub gpu_utilisation: f64,
    pub rescales: u64,
    pub migrations: u64,
    pub reschedules: u64,
}

impl Summary {
    pub fn of(run: &Run) -> Self {
        let mut jct: Vec<f64> = run.jobs.iter().map(|j| j.jct()).collect();
        jct.sort_by(f64::total_cmp);
        let n = run.jobs.len();
        let mean = |sum: f64| if n == 0 { 0.0 } else { sum / n as f64 };
        let first_submit = run
            .jobs
            .iter()
            .map(|j| j.submit)
            .min_by(f64::total_cmp)
            .unwrap_or(0.0);
        let last_finish = run
            .jobs
            .iter()
            .map(|j| j.finish)
            .max_by(f64::total_cmp)
            .unwrap_or(0.0);
        let makespan = last_finish - first_submit;
        let gpu_seconds: f64 = run.jobs.iter().map(|j| j.gpu_seconds).sum();
        let capacity = f64::from(run.gpus) * makespan;
        Self {
            algorithm: run.algorithm.to_string(),
            jobs: n,
            mean_jct: mean(jct.iter().sum()),
            median_jct: percentile(&jct, 50.0),
            p95_jct: percentile(&jct, 95.0),
            p99_jct: percentile(&jct, 99.0),
            mean_queueing_delay: mean(run.jobs.iter().map(|j| j.queueing_delay).sum()),
            makespan,
            gpu_utilisation: if capacity > 0.0 {
                gpu_seconds / capacity
            } else {
                0.0
            },
            rescales: run.jobs.iter().map(|j| u64::from(j.rescales)).sum(),
            migrations: run.jobs.iter().map(|j| u64::from(j.migrations)).sum(),
            reschedules: run.reschedules,
        }
    }
}

/// The `p`-th percentile of sorted values, interpolating between ranks.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    match sorted.len() {
        0 => 0.0,
        1 => sorted[0],
        n => {
            let rank = (p / 100.0).clamp(0.0, 1.0) * (n - 1) as f64;
            let lo = rank.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            let frac = rank - lo as f64;
            sorted[lo] + (sorted[hi] - sorted[lo]) * frac
        }
    }
}

/// What the run was, for the heading and the JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Setup {
    pub trace: String,
    pub jobs: usize,
    pub nodes: u32,
    pub gpus_per_node: u32,
    pub restart_overhead: f64,
    pub cross_node_factor: f64,
    pub rate_limit_seconds: f64,
}

impl Setup {
    pub fn heading(&self) -> String {
        format!(
            "{} jobs from {} on {} × {} GPUs; restart overhead {} s, cross-node speed × {}, \
             rate limit {} s. Times in seconds.",
            self.jobs,
            self.trace,
            self.nodes,
            self.gpus_per_node,
            self.restart_overhead,
            self.cross_node_factor,
            self.rate_limit_seconds
        )
    }
}

/// The comparison as an aligned table, one row per algorithm.
pub fn table(setup: &Setup, summaries: &[Summary]) -> String {
    let header = [
        "algorithm",
        "mean JCT",
        "median JCT",
        "p95 JCT",
        "p99 JCT",
        "makespan",
        "GPU util",
        "rescales",
        "migrations",
    ];
    let rows: Vec<[String; 9]> = summaries
        .iter()
        .map(|s| {
            [
                s.algorithm.clone(),
                format!("{:.1}", s.mean_jct),
                format!("{:.1}", s.median_jct),
                format!("{:.1}", s.p95_jct),
                format!("{:.1}", s.p99_jct),
                format!("{:.1}", s.makespan),
                format!("{:.1} %", s.gpu_utilisation * 100.0),
                s.rescales.to_string(),
                s.migrations.to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = setup.heading();
    out.push('\n');
    let line = |cells: &[String], out: &mut String| {
        let mut text = String::new();
        for (i, (cell, &w)) in cells.iter().zip(&widths).enumerate() {
            if i == 0 {
                let _ = write!(text, "{cell:<w$}");
            } else {
                let _ = write!(text, "  {cell:>w$}");
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&header.map(str::to_owned), &mut out);
    for row in &rows {
        line(row, &mut out);
    }
    out
}

/// The comparison as pretty JSON.
pub fn json(setup: &Setup, summaries: &[Summary]) -> Result<String, serde_json::Error> {
    #[derive(Serialize)]
    struct Doc<'a> {
        setup: &'a Setup,
        results: &'a [Summary],
    }
    let mut text = serde_json::to_string_pretty(&Doc {
        setup,
        results: summaries,
    })?;
    text.push('\n');
    Ok(text)
}

/// One line per job and algorithm, algorithms in run order, jobs in trace order.
pub fn jobs_csv(runs: &[Run]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "algorithm",
        "name",
        "category",
        "min",
        "requested",
        "max",
        "work",
        "submit",
        "first_start",
        "finish",
        "jct",
        "queueing_delay",
        "gpu_seconds",
        "starts",
        "halts",
        "rescales",
        "migrations",
    ])?;
    let secs = |v: f64| format!("{v:.3}");
    for run in runs {
        for j in &run.jobs {
            w.write_record([
                run.algorithm.to_string(),
                j.name.clone(),
                j.category.clone(),
                j.workers.min.to_string(),
                j.workers.requested.to_string(),
                j.workers.max.to_string(),
                secs(j.work),
                secs(j.submit),
                secs(j.first_start),
                secs(j.finish),
                secs(j.jct()),
                secs(j.queueing_delay),
                secs(j.gpu_seconds),
                j.starts.to_string(),
                j.halts.to_string(),
                j.rescales.to_string(),
                j.migrations.to_string(),
            ])?;
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::algorithms::Algorithm;
    use crate::core::job::WorkerRange;
    use crate::sim::engine::JobResult;

    fn result(name: &str, submit: f64, finish: f64, gpu_seconds: f64) -> JobResult {
        JobResult {
            name: name.into(),
            category: "c".into(),
            workers: WorkerRange {
                min: 1,
                max: 1,
                requested: 1,
            },
            work: 1.0,
            submit,
            first_start: submit,
            finish,
            queueing_delay: 0.0,
            gpu_seconds,
            starts: 1,
            halts: 0,
            rescales: 2,
            migrations: 3,
        }
    }

    fn run() -> Run {
        Run {
            algorithm: Algorithm::Fifo,
            gpus: 4,
            jobs: vec![
                result("a", 0.0, 10.0, 10.0),
                result("b", 10.0, 40.0, 30.0),
                result("c", 20.0, 30.0, 0.0),
                result("d", 20.0, 60.0, 40.0),
            ],
            usage: vec![],
            reschedules: 7,
            peak_gpus: 1,
            peak_node_gpus: 1,
        }
    }

    #[test]
    fn percentiles_interpolate_between_ranks() {
        let v = [10.0, 20.0, 30.0, 40.0];
        assert_eq!(percentile(&v, 50.0), 25.0);
        assert_eq!(percentile(&v, 0.0), 10.0);
        assert_eq!(percentile(&v, 100.0), 40.0);
        assert!((percentile(&v, 95.0) - 38.5).abs() < 1e-12);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }

    #[test]
    fn summary_numbers() {
        let s = Summary::of(&run());
        // JCTs 10, 30, 10, 40.
        assert_eq!(s.mean_jct, 22.5);
        assert_eq!(s.median_jct, 20.0);
        assert_eq!(s.makespan, 60.0);
        // 80 GPU-seconds of 4 × 60.
        assert!((s.gpu_utilisation - 80.0 / 240.0).abs() < 1e-12);
        assert_eq!((s.rescales, s.migrations, s.reschedules), (8, 12, 7));
    }

    #[test]
    fn the_table_is_aligned_and_the_json_and_csv_are_complete() {
        let setup = Setup {
            trace: "t.csv".into(),
            jobs: 4,
            nodes: 1,
            gpus_per_node: 4,
            restart_overhead: 30.0,
            cross_node_factor: 0.9,
            rate_limit_seconds: 30.0,
        };
        let s = [Summary::of(&run())];
        let t = table(&setup, &s);
        let lines: Vec<&str> = t.lines().collect();
        assert!(
            lines[0].starts_with("4 jobs from t.csv on 1 × 4 GPUs"),
            "{t}"
        );
        assert_eq!(lines[1].chars().count(), lines[2].chars().count(), "{t}");
        assert!(lines[2].starts_with("FIFO "), "{t}");
        assert!(lines[2].contains("33.3 %"), "{t}");
        let j = json(&setup, &s).unwrap();
        assert!(j.contains("\"meanJct\": 22.5"), "{j}");
        assert!(j.contains("\"gpusPerNode\": 4"), "{j}");
        let csv = jobs_csv(&[run()]).unwrap();
        assert_eq!(csv.lines().count(), 5);
        assert!(
            csv.lines().nth(2).unwrap().starts_with(
                "FIFO,b,c,1,1,1,1.000,10.000,10.000,40.000,30.000,0.000,30.000,1,0,2,3"
            ),
            "{csv}"
        );
    }
}
