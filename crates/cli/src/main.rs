//! `coterie`: the Coterie command-line binary.
//!
//! One binary for every face of Coterie: the server (`serve`), a local cluster for
//! development (`dev`), a self-checking tour (`demo`), cluster status, one-shot data
//! commands against a cluster (`coterie atomic-long seq increment`, `coterie counter views
//! increment`), the benchmark
//! (`bench`), and the single-node journaled group on this machine (`local`, `inspect`).
//!
//! For `local` this binary is the driver of the group, so it is the one place that reads the
//! wall clock: each command is journaled with the current time and the core only ever sees
//! that time. Everything that talks to a cluster goes through the Rust client, as an
//! application would.

mod admin;
mod bench;
mod call;
mod cluster_ops;
mod demo;
mod demo_sharded;
mod inspect;
mod local;
mod local_cluster;
mod logging;
mod object;
mod ops;
mod render;
mod serve;
mod serve_config;
mod serve_s3;
mod sharded_ops;
mod sharded_sync;
mod status;
mod status_verdict;
mod wait_for;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

/// The name of the storage file inside the data directory.
pub(crate) const DATA_FILE: &str = "coterie.redb";

/// What the exit status means, shown in `--help`.
pub(crate) const EXIT_STATUS: &str = "Exit status: 0 done; 1 the structure refused the command (message on stderr); \
                           2 usage error; 3 storage or other failure; 4 not met: status found a group without quorum, or latch await timed out.";

/// Coterie: distributed data structures and coordination.
#[derive(Debug, Parser)]
#[command(name = "coterie", version, after_help = EXIT_STATUS)]
struct Cli {
    /// The cluster's members (HOST:PORT, comma-separated) for status and data commands; give it
    /// before the subcommand: `coterie --endpoints A,B,C status`.
    #[arg(
        long,
        env = "COTERIE_ENDPOINTS",
        value_delimiter = ',',
        default_value = "127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103"
    )]
    endpoints: Vec<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a cluster member until Ctrl-C or SIGTERM.
    Serve(serve_config::ServeArgs),
    /// Run a local 3-member cluster in this process (ports 7101-7103) until Ctrl-C.
    Dev(serve::DevArgs),
    /// Start a local cluster, walk through every CP structure, seed 001's use cases and seed 000's sharded structures, exit.
    Demo,
    /// Show what each member says about the cluster, and every member with its role and
    /// whether it answers.
    Status(status::StatusArgs),
    /// Wait until N members are Up in the committed member table (`coterie wait-for 3
    /// --timeout 30s`); exits 1 if the timeout passes first.
    WaitFor(wait_for::WaitForArgs),
    /// The committed member table: list, add and remove members (`coterie admin members`).
    Admin(admin::AdminArgs),
    /// Measure a workload against Coterie or a peer system (closed loop).
    Bench(bench::BenchCommand),
    /// AtomicLong data commands against the cluster (`coterie atomic-long seq increment`).
    #[command(name = "atomic-long", after_help = cluster_ops::help(cluster_ops::ClusterKind::AtomicLong))]
    AtomicLong(ClusterArgs),
    /// AtomicReference data commands against the cluster (values are UTF-8 strings).
    #[command(name = "atomic-ref", alias = "atomic-reference", after_help = cluster_ops::help(cluster_ops::ClusterKind::AtomicRef))]
    AtomicRef(ClusterArgs),
    /// FencedLock status against the cluster.
    #[command(name = "fenced-lock", after_help = cluster_ops::help(cluster_ops::ClusterKind::FencedLock))]
    FencedLock(ClusterArgs),
    /// Semaphore (CP) data commands against the cluster.
    #[command(alias = "cp-semaphore", after_help = cluster_ops::help(cluster_ops::ClusterKind::Semaphore))]
    Semaphore(ClusterArgs),
    /// CountDownLatch data commands against the cluster.
    #[command(alias = "count-down-latch", after_help = cluster_ops::help(cluster_ops::ClusterKind::Latch))]
    Latch(ClusterArgs),
    /// Sharded Counter data commands (`coterie counter page-views increment 100`).
    #[command(after_help = sharded_ops::help(sharded_ops::ShardedKind::Counter))]
    Counter(sharded_ops::ShardedArgs),
    /// Sharded Map data commands (`coterie map users put alice alice@example.com`).
    #[command(after_help = sharded_ops::help(sharded_ops::ShardedKind::Map))]
    Map(sharded_ops::ShardedArgs),
    /// Sharded Set data commands (`coterie set tags add rust`).
    #[command(after_help = sharded_ops::help(sharded_ops::ShardedKind::Set))]
    Set(sharded_ops::ShardedArgs),
    /// Sharded Queue data commands (`coterie queue jobs enqueue task-1`).
    #[command(after_help = sharded_ops::help(sharded_ops::ShardedKind::Queue))]
    Queue(sharded_ops::ShardedArgs),
    /// Sharded Lock commands (`coterie lock deploy acquire --lease 30000`); held by owner id.
    #[command(after_help = sharded_ops::help(sharded_ops::ShardedKind::Lock))]
    Lock(sharded_ops::ShardedArgs),
    /// Sharded Semaphore commands (`coterie sharded-semaphore --permits 5 db-pool available`).
    #[command(name = "sharded-semaphore", after_help = sharded_ops::help(sharded_ops::ShardedKind::Semaphore))]
    ShardedSemaphore(sharded_ops::ShardedArgs),
    /// Sharded Barrier commands (`coterie barrier phase-1 arrive 3 --timeout 30000`).
    #[command(after_help = sharded_ops::help(sharded_ops::ShardedKind::Barrier))]
    Barrier(sharded_ops::ShardedArgs),
    /// Objects in a bucket with conditional writes (`coterie object put photos cat.jpg
    /// ./cat.jpg --create-only`): put, get, head, ls, rm, cp, mv, ttl.
    Object(object::ObjectArgs),
    /// Any operation of the API by its name and fields (`coterie call atomic-long
    /// compare-and-set seq expected=1 update=2`); the list is generated from the API.
    Call(call::CallArgs),
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

/// A data command against the cluster: `NAME OP [ARGS...]`.
#[derive(Debug, Args)]
pub(crate) struct ClusterArgs {
    /// The structure's name (`name`, or `name@group` for a named CP group).
    pub(crate) name: String,
    /// The operation (see below).
    pub(crate) op: String,
    /// Answer reads from the receiving member's state without a leadership check: works
    /// without a quorum, may miss the latest writes. Give it before NAME.
    #[arg(long)]
    pub(crate) stale: bool,
    /// The operation's arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub(crate) args: Vec<String>,
}

/// How a subcommand that did not fail outright ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// It did what was asked and printed the result.
    Done,
    /// The structure refused the command (a `CoreError`); the message is for stderr.
    Refused(String),
    /// What was asked for did not hold: `status` found a group without a quorum, or a wait
    /// (`latch NAME await`) ended before the latch opened; the message is for stderr.
    NotMet(String),
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
        networked => runtime().and_then(|runtime| runtime.block_on(run_networked(&cli, networked))),
    };
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Refused(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
        Ok(Outcome::NotMet(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(4)
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            let usage = err.is::<ops::ParseError>()
                || err.is::<cluster_ops::ClusterParseError>()
                || err.is::<sharded_ops::ShardedParseError>()
                || err.is::<call::CallParseError>()
                || err.is::<serve_config::ConfigError>();
            ExitCode::from(if usage { 2 } else { 3 })
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")
}

/// The subcommands that talk over the network.
async fn run_networked(cli: &Cli, command: &Command) -> anyhow::Result<Outcome> {
    let cluster = |kind| (kind, cli.endpoints.as_slice());
    let sharded = |kind| (kind, cli.endpoints.as_slice());
    match command {
        Command::Serve(args) => serve::serve(args).await,
        Command::Dev(args) => serve::dev(args).await,
        Command::Demo => demo::run().await,
        Command::Status(args) => status::run(&cli.endpoints, args).await,
        Command::WaitFor(args) => wait_for::run(&cli.endpoints, args).await,
        Command::Admin(args) => admin::run(&cli.endpoints, args).await,
        Command::Bench(args) => bench::run(args).await,
        Command::AtomicLong(args) => cluster_ops::run(cluster(cluster_ops::ClusterKind::AtomicLong), args).await,
        Command::AtomicRef(args) => cluster_ops::run(cluster(cluster_ops::ClusterKind::AtomicRef), args).await,
        Command::FencedLock(args) => cluster_ops::run(cluster(cluster_ops::ClusterKind::FencedLock), args).await,
        Command::Semaphore(args) => cluster_ops::run(cluster(cluster_ops::ClusterKind::Semaphore), args).await,
        Command::Latch(args) => cluster_ops::run(cluster(cluster_ops::ClusterKind::Latch), args).await,
        Command::Counter(args) => sharded_ops::run(sharded(sharded_ops::ShardedKind::Counter), args).await,
        Command::Map(args) => sharded_ops::run(sharded(sharded_ops::ShardedKind::Map), args).await,
        Command::Set(args) => sharded_ops::run(sharded(sharded_ops::ShardedKind::Set), args).await,
        Command::Queue(args) => sharded_ops::run(sharded(sharded_ops::ShardedKind::Queue), args).await,
        Command::Lock(args) => sharded_ops::run(sharded(sharded_ops::ShardedKind::Lock), args).await,
        Command::ShardedSemaphore(args) => sharded_ops::run(sharded(sharded_ops::ShardedKind::Semaphore), args).await,
        Command::Barrier(args) => sharded_ops::run(sharded(sharded_ops::ShardedKind::Barrier), args).await,
        Command::Call(args) => call::run(&cli.endpoints, args).await,
        Command::Object(args) => object::run(&cli.endpoints, args).await,
        Command::Local(_) | Command::Inspect(_) => anyhow::bail!("local commands do not run on the network runtime"),
    }
}
