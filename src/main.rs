use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use voda_scheduler::cli;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A Kubernetes-native GPU scheduler for elastic deep-learning training jobs.
#[derive(Parser)]
#[command(name = "voda-scheduler", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the manager: admits TrainingJobs (phase, PolicyFound condition) and serves
    /// the training-service endpoints.
    Manager {
        /// Address of the HTTP server (metrics, health, compatibility endpoints).
        #[arg(long, default_value = "0.0.0.0:55587")]
        listen: SocketAddr,
        /// Namespace of the leader-election Lease.
        #[arg(long, default_value = "voda-scheduler", env = "VODA_NAMESPACE")]
        lease_namespace: String,
        /// Namespace the documented HTTP endpoints work in (as the old services did).
        #[arg(long, default_value = "voda-scheduler")]
        compat_namespace: String,
        /// The manager's base URL as training pods reach it (e.g. its Service). Each
        /// job's launcher gets `<url>/training/<namespace>/<name>/progress` to report to.
        #[arg(
            long,
            default_value = "http://voda-scheduler-svc.voda-scheduler.svc:55587",
            env = "VODA_PROGRESS_URL"
        )]
        progress_url: String,
    },
    /// Run the scheduler of one GPU type: decides every job's workers, starts, scales,
    /// halts and places them, and serves that scheduler's endpoints.
    Scheduler {
        /// The GPU type (the SchedulerPolicy of this name; nodes labelled
        /// vodascheduler/accelerator=<type>).
        #[arg(long)]
        gpu_type: String,
        /// Address of the HTTP server (metrics, health, compatibility endpoints).
        #[arg(long, default_value = "0.0.0.0:55588")]
        listen: SocketAddr,
        /// Only schedule TrainingJobs of this namespace (default: all namespaces).
        #[arg(long)]
        namespace: Option<String>,
        /// Namespace of the leader-election Lease.
        #[arg(long, default_value = "voda-scheduler", env = "VODA_NAMESPACE")]
        lease_namespace: String,
        /// Namespace the documented HTTP endpoints work in (as the old services did).
        #[arg(long, default_value = "voda-scheduler")]
        compat_namespace: String,
    },
    /// Print the CustomResourceDefinitions as YAML (or write one file each into a directory).
    Crd {
        /// Write `<plural>.<group>.yaml` files into this directory instead of printing.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
    /// Read one scheduling case as JSON on stdin and print the allocation the core decides.
    Allocate,
    /// Simulate the scheduler over a job trace in virtual time and compare algorithms.
    Simulate(voda_scheduler::sim::cli::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Crd { out_dir } => match cli::crd::run(out_dir.as_deref()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("crd: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Allocate => {
            let mut input = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut input) {
                eprintln!("allocate: cannot read stdin: {e}");
                return ExitCode::from(2);
            }
            match cli::allocate::allocate_json(&input) {
                Ok(out) => {
                    println!("{out}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("allocate: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Simulate(args) => voda_scheduler::sim::cli::run(args),
        Command::Manager {
            listen,
            lease_namespace,
            compat_namespace,
            progress_url,
        } => run_async(cli::manager::run(cli::manager::Args {
            listen,
            lease_namespace,
            compat_namespace,
            progress_url,
        })),
        Command::Scheduler {
            gpu_type,
            listen,
            namespace,
            lease_namespace,
            compat_namespace,
        } => run_async(cli::scheduler::run(cli::scheduler::Args {
            gpu_type,
            listen,
            namespace,
            lease_namespace,
            compat_namespace,
        })),
    }
}

fn run_async(fut: impl std::future::Future<Output = anyhow::Result<()>>) -> ExitCode {
    cli::run::init_tracing();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(fut) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}
