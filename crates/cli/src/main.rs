//! `coterie`: the Coterie command-line binary.
//!
//! Today it drives a durable single-node group on this machine (`coterie local`) and shows
//! what such a group holds (`coterie inspect`). The clustered server (`coterie serve`)
//! arrives with the CP subsystem.
//!
//! This binary is the driver of the group, so it is the one place that reads the wall clock:
//! each command is journaled with the current time and the core only ever sees that time.

mod inspect;
mod local;
mod ops;
mod render;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

/// The name of the storage file inside the data directory.
pub(crate) const DATA_FILE: &str = "coterie.redb";

/// What the exit status means, shown in `--help`.
pub(crate) const EXIT_STATUS: &str = "Exit status: 0 done; 1 the structure refused the command (message on stderr); \
                           2 usage error; 3 storage or other failure.";

/// Coterie: distributed data structures and coordination.
#[derive(Debug, Parser)]
#[command(name = "coterie", version, after_help = EXIT_STATUS)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one data command against a durable single-node group on this machine.
    ///
    /// The command is journaled (fsync) in DIR/coterie.redb before it is applied, so state
    /// survives across runs.
    #[command(after_long_help = local::help())]
    Local(local::LocalArgs),
    /// Show a local group's journal, snapshot, sessions and structures (never creates anything).
    Inspect(inspect::InspectArgs),
}

/// Where a local group lives.
#[derive(Debug, Args)]
pub(crate) struct DataArgs {
    /// The data directory; the group is kept in DIR/coterie.redb.
    #[arg(long, value_name = "DIR", default_value = "./coterie-data")]
    pub(crate) data_dir: PathBuf,
    /// The group inside the data file.
    #[arg(long, value_name = "NAME", default_value = "default")]
    pub(crate) group: String,
}

impl DataArgs {
    /// The path of the storage file.
    pub(crate) fn file(&self) -> PathBuf {
        self.data_dir.join(DATA_FILE)
    }
}

/// How a subcommand that did not fail outright ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// It did what was asked and printed the result.
    Done,
    /// The structure refused the command (a `CoreError`); the message is for stderr.
    Refused(String),
}

/// Writes `lines` to stdout, one per line.
pub(crate) fn print_lines(lines: &[String]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    for line in lines {
        writeln!(out, "{line}").context("cannot write to stdout")?;
    }
    out.flush().context("cannot write to stdout")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Local(args) => local::run(args),
        Command::Inspect(args) => inspect::run(args),
    };
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Refused(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(if err.is::<ops::ParseError>() { 2 } else { 3 })
        }
    }
}
