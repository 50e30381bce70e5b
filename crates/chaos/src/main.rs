//! `coterie-chaos`: records a history of AtomicLong operations against a running cluster
//! (`run`), and checks a recorded history for linearizability (`check`).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use coterie_chaos::load::{self, LoadConfig};
use coterie_chaos::record::Histories;
use coterie_chaos::report::{KeyVerdict, Report};
use coterie_check::Budget;

#[derive(Parser)]
#[command(name = "coterie-chaos", about = "Record and check client histories of a Coterie cluster under faults")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run concurrent clients against the cluster and record every operation (JSON lines).
    Run {
        /// The members, `host:port,host:port,...`.
        #[arg(long, value_delimiter = ',', required = true)]
        endpoints: Vec<String>,
        /// How long to issue operations (`20s`, `500ms`, `2m`).
        #[arg(long, default_value = "20s", value_parser = parse_duration)]
        duration: Duration,
        /// Concurrent clients.
        #[arg(long, default_value_t = 8)]
        clients: u64,
        /// The bound on one operation.
        #[arg(long, default_value = "2s", value_parser = parse_duration)]
        op_timeout: Duration,
        /// Key name prefix; use one no earlier run on this cluster used (keys start at 0).
        #[arg(long, default_value = "chaos")]
        prefix: String,
        /// Register keys.
        #[arg(long, default_value_t = 3)]
        registers: u64,
        /// Counter keys.
        #[arg(long, default_value_t = 1)]
        counters: u64,
        /// Seeds the operation mix.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The history file written.
        #[arg(long)]
        out: PathBuf,
    },
    /// Check a recorded history key by key; exit status 1 on a violation, 2 if a check ran
    /// out of budget (and nothing was violated).
    Check {
        /// The history file.
        history: PathBuf,
        /// The most model steps per key.
        #[arg(long, default_value_t = 20_000_000)]
        max_steps: u64,
    },
}

/// Parses `20s`, `500ms`, `2m` or a bare number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration {text:?} (expected e.g. 20s, 500ms, 2m)");
    let (digits, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: u64 = digits.parse().map_err(|_| bad())?;
    match unit {
        "" | "s" => Ok(Duration::from_secs(n)),
        "ms" => Ok(Duration::from_millis(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        _ => Err(bad()),
    }
}

fn main() -> anyhow::Result<ExitCode> {
    match Cli::parse().command {
        Command::Run { endpoints, duration, clients, op_timeout, prefix, registers, counters, seed, out } => {
            let cfg = LoadConfig { endpoints, duration, clients, op_timeout, prefix, registers, counters, seed };
            let file = File::create(&out).with_context(|| format!("cannot create {}", out.display()))?;
            let mut writer = BufWriter::new(file);
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")?;
            let count = runtime.block_on(load::run(cfg, |record| {
                serde_json::to_writer(&mut writer, record)?;
                writer.write_all(b"\n")?;
                Ok(())
            }))?;
            writer.flush()?;
            // Workers' background tasks (heartbeats) may still be parked on a dead cluster.
            runtime.shutdown_timeout(Duration::from_secs(1));
            eprintln!("recorded {count} operations in {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { history, max_steps } => {
            let text =
                std::fs::read_to_string(&history).with_context(|| format!("cannot read {}", history.display()))?;
            let histories =
                Histories::parse(&text).with_context(|| format!("{} is not a history", history.display()))?;
            let report = Report::check(&histories, Budget { max_steps });
            println!("{report}");
            Ok(match report.verdict() {
                KeyVerdict::Linearizable => ExitCode::SUCCESS,
                KeyVerdict::NotLinearizable => ExitCode::from(1),
                KeyVerdict::Exhausted => ExitCode::from(2),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("20s"), Ok(Duration::from_secs(20)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("2h").is_err());
        assert!(parse_duration("s").is_err());
    }
}
