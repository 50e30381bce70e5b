//! The server's log: `coterie serve` and `coterie dev` write what their members do to stderr
//! (elections and leader changes, members joining, leaving and going down, refused and failed
//! calls, storage errors), filtered by `RUST_LOG` when it is set, else by `--log-level`.
//!
//! Why the default filter names our targets: the libraries underneath (openraft, tonic, h2)
//! log every message they handle at info or debug, which would bury the few lines an operator
//! needs. `--log-level LEVEL` sets Coterie's own targets (`coterie::raft`, `coterie::members`,
//! `coterie::calls`, `coterie::storage`, and the server crate) to LEVEL, openraft to `error`
//! and everything else to `warn`; `RUST_LOG` takes any `tracing` filter (`RUST_LOG=debug`, `RUST_LOG=openraft=info,
//! coterie=debug`) for a closer look.

use clap::ValueEnum;
use tracing_subscriber::EnvFilter;

/// How much Coterie's own targets log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogLevel {
    /// Only failures that need an operator (storage errors).
    Error,
    /// Also what degrades the cluster: a member marked Down, a group without a leader, failed calls.
    Warn,
    /// Also what changes it: leaders elected, members joining and leaving, refused calls.
    #[default]
    Info,
    /// Also what libraries and Coterie report in detail.
    Debug,
    /// Everything.
    Trace,
}

impl LogLevel {
    fn name(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

/// The filter for `level`: Coterie's targets at `level`, openraft at `error` (it warns on
/// every heartbeat to an unreachable member, many times a second; Coterie's own lines say
/// that a member is down and who leads), the rest at `warn` (or at `level` when quieter).
pub(crate) fn filter_for(level: LogLevel) -> String {
    let others = if level == LogLevel::Error { "error" } else { "warn" };
    let ours = level.name();
    format!("{others},openraft=error,coterie={ours},coterie_server={ours},coterie_cli={ours}")
}

/// Installs the log for this process: `RUST_LOG` if set (and valid), else `level`'s filter.
/// A second call (a test that runs two servers in one process) keeps the first.
pub(crate) fn init(level: LogLevel) -> anyhow::Result<()> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::try_new(&spec).map_err(|err| {
            anyhow::anyhow!("RUST_LOG={spec:?} is not a valid log filter ({err}); unset it or use --log-level")
        })?,
        _ => EnvFilter::new(filter_for(level)),
    };
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false).try_init();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_targets_at_the_level_and_the_libraries_at_warn() {
        assert_eq!(filter_for(LogLevel::Info), "warn,openraft=error,coterie=info,coterie_server=info,coterie_cli=info");
        assert_eq!(
            filter_for(LogLevel::Error),
            "error,openraft=error,coterie=error,coterie_server=error,coterie_cli=error"
        );
        for level in [LogLevel::Error, LogLevel::Warn, LogLevel::Info, LogLevel::Debug, LogLevel::Trace] {
            assert!(EnvFilter::try_new(filter_for(level)).is_ok(), "{level:?}");
        }
    }
}
