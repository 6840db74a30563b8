use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use voda_scheduler::cli;

/// A Kubernetes-native GPU scheduler for elastic deep-learning training jobs.
#[derive(Parser)]
#[command(name = "voda-scheduler", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the CustomResourceDefinitions as YAML (or write one file each into a directory).
    Crd {
        /// Write `<plural>.<group>.yaml` files into this directory instead of printing.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
    /// Read one scheduling case as JSON on stdin and print the allocation the core decides.
    Allocate,
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
    }
}
