//! `voda-scheduler simulate`: its options, and turning them into runs and output.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args as ClapArgs, ValueEnum};

use super::chart;
use super::engine::{Cluster, Config, Run, SimError, simulate};
use super::model::JobModel;
use super::report::{self, Setup, Summary};
use super::speedup::SpeedupModel;
use super::synthetic::{self, Synthetic};
use super::trace::{self, SingleCount, TIRESIAS_60JOB, TIRESIAS_60JOB_NAME, Trace, TraceFormat};
use crate::core::algorithms::{Algorithm, Params};
use crate::core::queues::QueuePolicy;
use crate::core::scheduler::Policy;

/// Simulate the scheduler over a job trace on a modelled cluster, in virtual
/// time, with the same core as the live scheduler. With no options: the
/// Tiresias 60-job trace on 4 × 8 GPUs under all eight algorithms.
#[derive(Debug, Clone, ClapArgs)]
pub struct Args {
    /// Job trace (CSV): the project's format or the Tiresias format (see
    /// --trace-format). Default: the embedded Tiresias 60-job trace.
    #[arg(long, value_name = "FILE", conflicts_with = "synthetic")]
    pub trace: Option<PathBuf>,
    /// Format of --trace; by default detected from its header.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub trace_format: Option<FormatArg>,
    /// Generate a Philly-like synthetic trace of this many jobs instead.
    #[arg(long, value_name = "JOBS")]
    pub synthetic: Option<usize>,
    /// Seed of the synthetic trace.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Offered load of the synthetic trace (mean GPU demand / GPUs).
    #[arg(long, default_value_t = 0.8)]
    pub load: f64,

    /// Nodes in the cluster.
    #[arg(long, default_value_t = 4)]
    pub nodes: u32,
    /// GPUs per node.
    #[arg(long, default_value_t = 8)]
    pub gpus_per_node: u32,

    /// An algorithm name, or `all` for the eight side by side.
    #[arg(long, default_value = "all", value_parser = parse_algorithms)]
    pub algorithm: AlgorithmArg,
    /// Seconds at most one reschedule per (SchedulerPolicy rateLimitSeconds).
    #[arg(long, default_value_t = 30.0)]
    pub rate_limit: f64,
    /// Tiresias queue thresholds in GPU-seconds, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "3600")]
    pub queue_thresholds: Vec<f64>,
    /// Tiresias promote knob.
    #[arg(long, default_value_t = 8.0)]
    pub promote_knob: f64,
    /// ElasticTiresias compaction threshold.
    #[arg(long, default_value_t = 10)]
    pub compaction_threshold: u32,

    /// Seconds without progress after every start, rescale and migration.
    #[arg(long, default_value_t = 30.0)]
    pub restart_overhead: f64,
    /// Speed factor of a job whose workers span more than one node, in (0, 1].
    #[arg(long, default_value_t = 0.9)]
    pub cross_node_factor: f64,

    /// Tiresias and synthetic traces give one GPU count n per job: min workers
    /// = max(1, ⌈n × this⌉).
    #[arg(long, default_value_t = 0.5)]
    pub min_scale: f64,
    /// … and max workers = max(n, ⌊n × this⌋); requested = n.
    #[arg(long, default_value_t = 2.0)]
    pub max_scale: f64,
    /// … and every job's speedup: linear, amdahl:P or table:S1 S2 ...
    #[arg(long, default_value = "amdahl:0.95", value_parser = parse_speedup)]
    pub speedup: SpeedupModel,

    /// Summary output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Write one CSV line per job (and algorithm) here.
    #[arg(long, value_name = "FILE")]
    pub jobs_csv: Option<PathBuf>,
    /// Write an SVG chart (JCT CDF, GPUs in use over time) here.
    #[arg(long, value_name = "FILE")]
    pub chart: Option<PathBuf>,
    /// Write the trace as simulated (the project's CSV format) here.
    #[arg(long, value_name = "FILE")]
    pub write_trace: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Voda,
    Tiresias,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
}

/// One algorithm or all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlgorithmArg(pub Vec<Algorithm>);

fn parse_algorithms(s: &str) -> Result<AlgorithmArg, String> {
    if s.eq_ignore_ascii_case("all") {
        return Ok(AlgorithmArg(Algorithm::ALL.to_vec()));
    }
    s.parse::<Algorithm>()
        .map(|a| AlgorithmArg(vec![a]))
        .map_err(|e| format!("{e}, or all"))
}

fn parse_speedup(s: &str) -> Result<SpeedupModel, String> {
    s.parse()
}

impl Default for Args {
    /// The same as `simulate` with no options.
    fn default() -> Self {
        Self {
            trace: None,
            trace_format: None,
            synthetic: None,
            seed: 1,
            load: 0.8,
            nodes: 4,
            gpus_per_node: 8,
            algorithm: AlgorithmArg(Algorithm::ALL.to_vec()),
            rate_limit: 30.0,
            queue_thresholds: vec![3600.0],
            promote_knob: 8.0,
            compaction_threshold: 10,
            restart_overhead: 30.0,
            cross_node_factor: 0.9,
            min_scale: 0.5,
            max_scale: 2.0,
            speedup: SpeedupModel::Amdahl(0.95),
            format: OutputFormat::Table,
            jobs_csv: None,
            chart: None,
            write_trace: None,
        }
    }
}

/// Why `simulate` failed: bad input (exit status 2) or a failed run (1).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Simulation(#[from] SimError),
    #[error("{0}")]
    Output(String),
}

/// What a run prints and writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub stdout: String,
    /// Files to write, in order.
    pub files: Vec<(PathBuf, String)>,
}

/// Entry point of the subcommand.
pub fn run(args: Args) -> ExitCode {
    let output = match execute(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("simulate: {e}");
            return match e {
                CliError::Input(_) => ExitCode::from(2),
                _ => ExitCode::FAILURE,
            };
        }
    };
    for (path, content) in &output.files {
        if let Err(e) = std::fs::write(path, content) {
            eprintln!("simulate: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    print!("{}", output.stdout);
    ExitCode::SUCCESS
}

/// Everything but the I/O of writing: read the trace, run, format.
pub fn execute(args: &Args) -> Result<Output, CliError> {
    let cluster = Cluster {
        nodes: args.nodes,
        gpus_per_node: args.gpus_per_node,
    };
    let trace = load_trace(args, cluster)?;
    let config = config(args, cluster)?;

    let runs = args
        .algorithm
        .0
        .iter()
        .map(|&algorithm| {
            let mut c = config.clone();
            c.policy.algorithm = algorithm;
            simulate(&trace, &c)
        })
        .collect::<Result<Vec<Run>, SimError>>()
        .map_err(|e| match e {
            // A job that can never fit, or a bad model, is the input's fault.
            SimError::JobTooLarge { .. } | SimError::Config(_) => CliError::Input(e.to_string()),
            e => CliError::Simulation(e),
        })?;

    let setup = Setup {
        trace: trace.source.clone(),
        jobs: trace.jobs.len(),
        nodes: cluster.nodes,
        gpus_per_node: cluster.gpus_per_node,
        restart_overhead: args.restart_overhead,
        cross_node_factor: args.cross_node_factor,
        rate_limit_seconds: args.rate_limit,
    };
    let summaries: Vec<Summary> = runs.iter().map(Summary::of).collect();
    let stdout = match args.format {
        OutputFormat::Table => report::table(&setup, &summaries),
        OutputFormat::Json => {
            report::json(&setup, &summaries).map_err(|e| CliError::Output(e.to_string()))?
        }
    };
    let mut files = Vec::new();
    if let Some(path) = &args.write_trace {
        let text = trace::write_voda(&trace).map_err(|e| CliError::Output(e.to_string()))?;
        files.push((path.clone(), text));
    }
    if let Some(path) = &args.jobs_csv {
        let text = report::jobs_csv(&runs).map_err(|e| CliError::Output(e.to_string()))?;
        files.push((path.clone(), text));
    }
    if let Some(path) = &args.chart {
        let title = format!(
            "{} jobs from {} on {} × {} GPUs",
            setup.jobs, setup.trace, setup.nodes, setup.gpus_per_node
        );
        files.push((
            path.clone(),
            chart::render(&title, &runs).map_err(CliError::Output)?,
        ));
    }
    Ok(Output { stdout, files })
}

fn load_trace(args: &Args, cluster: Cluster) -> Result<Trace, CliError> {
    let single = SingleCount {
        min_scale: args.min_scale,
        max_scale: args.max_scale,
        speedup: args.speedup.clone(),
    };
    single.validate().map_err(CliError::Input)?;
    if let Some(jobs) = args.synthetic {
        return synthetic::generate(&Synthetic {
            jobs,
            seed: args.seed,
            load: args.load,
            gpus: cluster.gpus(),
            single,
        })
        .map_err(|e| CliError::Input(format!("synthetic trace: {e}")));
    }
    let format = args.trace_format.map(|f| match f {
        FormatArg::Voda => TraceFormat::Voda,
        FormatArg::Tiresias => TraceFormat::Tiresias,
    });
    let (text, source) = match &args.trace {
        None => (TIRESIAS_60JOB.to_owned(), TIRESIAS_60JOB_NAME.to_owned()),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::Input(format!("cannot read {}: {e}", path.display())))?;
            (text, path.display().to_string())
        }
    };
    trace::parse(&text, &source, format, &single).map_err(|e| CliError::Input(e.to_string()))
}

fn config(args: &Args, cluster: Cluster) -> Result<Config, CliError> {
    if !(args.rate_limit.is_finite() && args.rate_limit >= 0.0) {
        return Err(CliError::Input(format!(
            "--rate-limit {} must be finite and ≥ 0",
            args.rate_limit
        )));
    }
    if args
        .queue_thresholds
        .iter()
        .any(|t| !(t.is_finite() && *t > 0.0))
    {
        return Err(CliError::Input(
            "--queue-thresholds must all be finite and > 0".into(),
        ));
    }
    if !(args.promote_knob.is_finite() && args.promote_knob >= 0.0) {
        return Err(CliError::Input(format!(
            "--promote-knob {} must be finite and ≥ 0",
            args.promote_knob
        )));
    }
    let model = JobModel {
        restart_overhead: args.restart_overhead,
        cross_node_factor: args.cross_node_factor,
    };
    model.validate().map_err(CliError::Input)?;
    if cluster.nodes == 0 || cluster.gpus_per_node == 0 {
        return Err(CliError::Input(
            "--nodes and --gpus-per-node must be at least 1".into(),
        ));
    }
    Ok(Config {
        cluster,
        model,
        policy: Policy {
            algorithm: Algorithm::default(),
            rate_limit_seconds: args.rate_limit,
            queues: QueuePolicy {
                thresholds: args.queue_thresholds.clone(),
                promote_knob: args.promote_knob,
            },
            params: Params {
                compaction_threshold: args.compaction_threshold,
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn parse(argv: &[&str]) -> Result<Args, clap::Error> {
        Cli::try_parse_from(std::iter::once("simulate").chain(argv.iter().copied())).map(|c| c.args)
    }

    #[test]
    fn no_options_means_the_documented_default() {
        let a = parse(&[]).unwrap();
        let d = Args::default();
        assert_eq!(format!("{a:?}"), format!("{d:?}"));
    }

    #[test]
    fn options_parse_and_bad_ones_are_refused() {
        let a = parse(&[
            "--algorithm",
            "AFS-L",
            "--speedup",
            "table:1 1.5",
            "--queue-thresholds",
            "100,1000",
            "--format",
            "json",
        ])
        .unwrap();
        assert_eq!(a.algorithm, AlgorithmArg(vec![Algorithm::AfsL]));
        assert_eq!(a.queue_thresholds, vec![100.0, 1000.0]);
        assert_eq!(a.format, OutputFormat::Json);
        let err = parse(&["--algorithm", "LIFO"]).unwrap_err().to_string();
        assert!(err.contains("valid algorithms are"), "{err}");
        assert!(parse(&["--speedup", "amdahl:2"]).is_err());
        assert!(parse(&["--trace", "x.csv", "--synthetic", "10"]).is_err());
    }

    #[test]
    fn bad_values_are_input_errors() {
        for args in [
            Args {
                rate_limit: -1.0,
                ..Args::default()
            },
            Args {
                cross_node_factor: 0.0,
                ..Args::default()
            },
            Args {
                nodes: 0,
                ..Args::default()
            },
            Args {
                min_scale: 2.0,
                ..Args::default()
            },
            Args {
                synthetic: Some(0),
                ..Args::default()
            },
            Args {
                trace: Some("/nonexistent/trace.csv".into()),
                ..Args::default()
            },
            // Tiresias job 1 asks for 8 GPUs; one 4-GPU node can never run it.
            Args {
                nodes: 1,
                gpus_per_node: 4,
                ..Args::default()
            },
        ] {
            let err = execute(&args).unwrap_err();
            assert!(matches!(err, CliError::Input(_)), "{err}");
        }
    }

    #[test]
    fn json_and_files() {
        let args = Args {
            algorithm: AlgorithmArg(vec![Algorithm::Fifo]),
            format: OutputFormat::Json,
            jobs_csv: Some("jobs.csv".into()),
            chart: Some("chart.svg".into()),
            write_trace: Some("trace.csv".into()),
            ..Args::default()
        };
        let out = execute(&args).unwrap();
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(v["results"][0]["algorithm"], "FIFO");
        assert_eq!(v["results"][0]["jobs"], 60);
        let names: Vec<String> = out
            .files
            .iter()
            .map(|(p, _)| p.display().to_string())
            .collect();
        assert_eq!(names, ["trace.csv", "jobs.csv", "chart.svg"]);
        assert_eq!(out.files[1].1.lines().count(), 61);
    }
}
