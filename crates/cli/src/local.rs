//! `coterie local`: one data command against a durable single-node group.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::Args;
use coterie_core::{GroupCommand, GroupOutput, Kind, Reply, Timestamp};
use coterie_server::{JournalConfig, JournaledGroup, Request};
use coterie_storage::RedbStorage;

use crate::ops::{self, NULL_FLAG};
use crate::{DataArgs, Outcome, render};

/// Arguments of `coterie local`.
#[derive(Debug, Args)]
pub(crate) struct LocalArgs {
    #[command(flatten)]
    pub(crate) data: DataArgs,
    /// The structure's kind (atomic-long, atomic-reference, counter, map, set, queue, count-down-latch).
    pub(crate) kind: Kind,
    /// The structure's name; it is created on first write.
    pub(crate) name: String,
    /// The operation (see below).
    pub(crate) op: String,
    /// The operation's arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub(crate) args: Vec<String>,
}

/// Where the operation list of the long help wraps.
const HELP_WIDTH: usize = 100;

/// The long help of `coterie local`: every supported operation, and what is refused and why.
pub(crate) fn help() -> String {
    let mut help = String::from("Operations (values, keys and items are UTF-8 strings, stored as their bytes):\n");
    for kind in Kind::ALL {
        let specs = ops::ops(kind);
        if specs.is_empty() {
            continue;
        }
        // One line per kind, wrapped under the kind's column when it gets long.
        let mut line = format!("  {:<18}", kind.name());
        for (i, spec) in specs.iter().enumerate() {
            let op = if spec.args.is_empty() { spec.name.to_owned() } else { format!("{} {}", spec.name, spec.args) };
            if i > 0 && line.len() + op.len() + 3 > HELP_WIDTH {
                help.push_str(&line);
                help.push_str(" |\n");
                line = format!("{:20}{op}", "");
            } else {
                line.push_str(if i > 0 { " | " } else { "" });
                line.push_str(&op);
            }
        }
        help.push_str(&line);
        help.push('\n');
    }
    help.push_str(&format!(
        "\n{NULL_FLAG} stands for null where a value may be null (atomic-reference values, map compare-and-set \
         sides); elsewhere it is refused. Listings default to --limit {}.\n\
         \nOutput: one line per result; `ok` when there is nothing to report, `(null)` for an absent value; \
         listings print one item per line (map entries as `key = value`), then `next: CURSOR` when more \
         follow (pass it to --after). Bytes that are not printable UTF-8 print as 0x-hex.\n\
         \nNot available here: fenced-lock, cp-semaphore, lock, semaphore and barrier, count-down-latch \
         count-down and await, and queue take need a live client session. A one-shot process cannot hold a \
         lock or wait: its session would die with it. They arrive with `coterie serve` (the CP subsystem). \
         bucket is not served here either: object bytes live in a running cluster's blob store.\n\
         \nExample: coterie local --data-dir /tmp/coterie atomic-long seq increment-and-get\n\n{}",
        ops::DEFAULT_LIMIT,
        crate::EXIT_STATUS
    ));
    help
}

/// The wall-clock time, in milliseconds since the UNIX epoch.
fn now() -> anyhow::Result<Timestamp> {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).context("the system clock is set before 1970")?;
    let millis = u64::try_from(since.as_millis()).context("the system clock is set too far in the future")?;
    Ok(Timestamp(millis))
}

/// Runs `coterie local`.
pub(crate) fn run(args: &LocalArgs) -> anyhow::Result<Outcome> {
    // Parse before touching the disk: a typo must not create a data directory.
    let command = ops::parse(args.kind, &args.op, &args.args)?;
    let dir = &args.data.data_dir;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    let path = args.data.file();
    let storage = RedbStorage::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
    let group = &args.data.group;
    let log = storage.log(group).with_context(|| format!("cannot open group {group:?} in {}", path.display()))?;
    let mut journaled = JournaledGroup::open(log, JournalConfig::default())
        .with_context(|| format!("cannot replay group {group:?} from {}", path.display()))?;
    let request = Request::internal(GroupCommand::Invoke { name: args.name.clone(), command });
    let now = now()?;
    // Reads are answered from the replayed state; only changes are journaled.
    let response = match journaled.read(&request, now) {
        Some(result) => Reply::Ready(result),
        None => journaled.submit_one(request, now).context("cannot journal the command")?.response,
    };
    match response {
        Reply::Ready(Ok(GroupOutput::Structure(output))) => {
            crate::print_lines(&render::render(&output))?;
            Ok(Outcome::Done)
        }
        Reply::Ready(Err(err)) => Ok(Outcome::Refused(err.to_string())),
        Reply::Ready(Ok(other)) => bail!("the group answered {other:?} to a structure command (a bug in coterie)"),
        Reply::Parked => bail!("the command parked without a session (a bug in coterie: it should have been refused)"),
    }
}
