//! `coterie call KIND OPERATION NAME [FIELD=VALUE ...]`: any operation of the API by the
//! names the API gives it, its fields by their proto names.
//!
//! The vocabulary is generated from the rpc list (`coterie_api::for_each_rpc!`), the one
//! declaration every rpc has, so a new operation is callable here the moment it is in the
//! API: `coterie call atomic-long compare-and-exchange seq expected=1 update=2`. The
//! friendlier per-kind commands (`coterie atomic-long seq increment`) stay for everyday use.
//! Operations that need a session outliving the process (locks, permits, waits) are listed
//! but refused: the session would end with the command.

use std::fmt::Write as _;

use coterie_api::convert::{RpcMode, RpcRequest};
use coterie_client::{Client, ClientError};
use coterie_core::{GroupCommand, GroupOutput};

use crate::render;

/// A `coterie call` that does not name an operation of the API, or gives it bad fields: a
/// usage error (exit status 2), found before anything is connected.
#[derive(Debug, thiserror::Error)]
#[error("{0}; see `coterie call --help` for every operation and its fields")]
pub(crate) struct CallParseError(String);

/// `coterie call`'s arguments.
#[derive(Debug, clap::Args)]
#[command(after_help = help())]
pub(crate) struct CallArgs {
    /// The structure kind: atomic-long, atomic-reference, fenced-lock, cp-semaphore,
    /// count-down-latch.
    kind: String,
    /// The operation, as the API names it (compare-and-set, get-and-add, ...).
    operation: String,
    /// The structure's name (`name`, or `name@group` for a named CP group).
    name: String,
    /// The request's fields, `FIELD=VALUE` by their proto names (bytes as UTF-8 text).
    fields: Vec<String>,
}

/// The operations, for `--help`.
pub(crate) fn help() -> String {
    let mut text = String::from("Operations (FIELDS; * needs a lasting session, refused here):\n");
    for (kind, operation, fields, mode) in RpcRequest::vocabulary() {
        let lasting = if matches!(mode, RpcMode::Session | RpcMode::Blocking) { " *" } else { "" };
        let _ = writeln!(
            text,
            "  {} {} {}{lasting}",
            kebab(kind),
            operation.replace('_', "-"),
            fields.iter().map(|f| format!("{f}=..")).collect::<Vec<_>>().join(" ")
        );
    }
    text
}

/// `AtomicLong` as `atomic-long`.
fn kebab(kind: &str) -> String {
    let mut out = String::new();
    for (i, c) in kind.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Runs the call: parsed before anything is connected, then sent through the Rust client.
pub(crate) async fn run(endpoints: &[String], args: &CallArgs) -> anyhow::Result<crate::Outcome> {
    let request = RpcRequest::from_text(&args.kind, &args.operation, &args.name, &args.fields)
        .map_err(|err| CallParseError(err.to_string()))?;
    let probe = request.clone();
    let routed = request.into_command().map_err(|err| CallParseError(err.to_string()))?;
    let GroupCommand::Invoke { command, .. } = routed.command else {
        anyhow::bail!("{} {} is not a structure operation", args.kind, args.operation);
    };
    let client = Client::connect(endpoints).await?;
    let answer = client.invoke(&args.name, command).await.and_then(|output| {
        // The response as the API answers it, and the value as the other commands print it.
        let response = probe
            .respond(GroupOutput::Structure(output.clone()))
            .map_err(|err| ClientError::UnexpectedOutput(err.to_string()))?;
        let mut lines = render::render(&output);
        lines.insert(0, format!("{response:?}"));
        Ok(lines)
    });
    crate::cluster_ops::finish(client, answer.map(Into::into)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_written_as_the_command_line_writes_them() {
        assert_eq!(kebab("AtomicLong"), "atomic-long");
        assert_eq!(kebab("CountDownLatch"), "count-down-latch");
        let help = help();
        assert!(help.contains("atomic-long compare-and-exchange expected=.. update=.."), "{help}");
        assert!(help.contains("fenced-lock lock owner=.. *"), "{help}");
    }
}
