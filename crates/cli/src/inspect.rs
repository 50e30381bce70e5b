//! `coterie inspect`: what a local group holds, read without creating anything.

use anyhow::{Context, bail};
use clap::Args;
use coterie_server::{JournalConfig, JournaledGroup};
use coterie_storage::{LogId, LogState, LogStore, RedbStorage, SnapshotMeta};

use crate::{DataArgs, Outcome};

/// Arguments of `coterie inspect`.
#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    #[command(flatten)]
    pub(crate) data: DataArgs,
}

/// What `inspect` reports about one group.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Report {
    /// The storage file.
    pub(crate) file: String,
    /// The group's name.
    pub(crate) group: String,
    /// The journal's bounds.
    pub(crate) journal: LogState,
    /// The stored snapshot's description, if any.
    pub(crate) snapshot: Option<SnapshotMeta>,
    /// The index of the last applied record after replay.
    pub(crate) applied: u64,
    /// Open client sessions.
    pub(crate) sessions: usize,
    /// Every structure's name and kind, in name order.
    pub(crate) structures: Vec<(String, String)>,
}

fn index(id: Option<&LogId>) -> String {
    id.map_or_else(|| "none".to_owned(), |id| id.index.to_string())
}

impl Report {
    /// The lines `inspect` prints.
    pub(crate) fn lines(&self) -> Vec<String> {
        let mut lines = vec![
            format!("file:          {}", self.file),
            format!("group:         {}", self.group),
            format!(
                "journal:       last purged index {}, last index {}",
                index(self.journal.last_purged.as_ref()),
                index(self.journal.last.as_ref())
            ),
        ];
        lines.push(match &self.snapshot {
            Some(meta) => {
                format!("snapshot:      {} at index {}", meta.snapshot_id, index(meta.last_included.as_ref()))
            }
            None => "snapshot:      none".to_owned(),
        });
        lines.push(format!("applied index: {}", self.applied));
        lines.push(format!("open sessions: {}", self.sessions));
        lines.push(format!("structures:    {}", self.structures.len()));
        if self.journal.last.is_none() && self.snapshot.is_none() {
            lines.push(format!("(nothing was ever written to group {:?} in this file)", self.group));
        }
        let width = self.structures.iter().map(|(name, _)| name.chars().count()).max().unwrap_or(0);
        lines.extend(self.structures.iter().map(|(name, kind)| format!("{name:<width$}  {kind}")));
        lines
    }
}

/// Runs `coterie inspect`.
pub(crate) fn run(args: &InspectArgs) -> anyhow::Result<Outcome> {
    let path = args.data.file();
    if !path.is_file() {
        bail!(
            "no Coterie data at {}: inspect reads what `coterie local` wrote and never creates it; \
             pass the --data-dir that `coterie local` used (default ./coterie-data)",
            path.display()
        );
    }
    let storage = RedbStorage::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
    let group = &args.data.group;
    let log = storage.log(group).with_context(|| format!("cannot open group {group:?} in {}", path.display()))?;
    let journal = log.log_state().context("cannot read the journal's bounds")?;
    let snapshot = log.load_snapshot().context("cannot read the snapshot")?.map(|(meta, _)| meta);
    let journaled = JournaledGroup::open(log, JournalConfig::default())
        .with_context(|| format!("cannot replay group {group:?} from {}", path.display()))?;
    let state = journaled.group();
    let structures = state
        .names()
        .map(|name| (name.to_owned(), state.structure(name).map_or("?", |s| s.kind().name()).to_owned()))
        .collect();
    let report = Report {
        file: path.display().to_string(),
        group: group.clone(),
        journal,
        snapshot,
        applied: journaled.applied_index(),
        sessions: state.session_count(),
        structures,
    };
    crate::print_lines(&report.lines())?;
    Ok(Outcome::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_shows_journal_snapshot_and_aligned_structures() {
        let report = Report {
            file: "d/coterie.redb".to_owned(),
            group: "default".to_owned(),
            journal: LogState { last_purged: Some(LogId::new(0, 0, 10)), last: Some(LogId::new(0, 0, 12)) },
            snapshot: Some(SnapshotMeta {
                last_included: Some(LogId::new(0, 0, 10)),
                membership: Vec::new(),
                snapshot_id: "local-10".to_owned(),
            }),
            applied: 12,
            sessions: 1,
            structures: vec![("a".to_owned(), "map".to_owned()), ("long-name".to_owned(), "counter".to_owned())],
        };
        assert_eq!(
            report.lines(),
            [
                "file:          d/coterie.redb",
                "group:         default",
                "journal:       last purged index 10, last index 12",
                "snapshot:      local-10 at index 10",
                "applied index: 12",
                "open sessions: 1",
                "structures:    2",
                "a          map",
                "long-name  counter",
            ]
        );
    }

    #[test]
    fn an_untouched_group_says_so() {
        let report = Report {
            file: "f".to_owned(),
            group: "g".to_owned(),
            journal: LogState::default(),
            snapshot: None,
            applied: 0,
            sessions: 0,
            structures: Vec::new(),
        };
        let lines = report.lines();
        assert_eq!(lines[2], "journal:       last purged index none, last index none");
        assert_eq!(lines[3], "snapshot:      none");
        assert_eq!(lines.last().map(String::as_str), Some("(nothing was ever written to group \"g\" in this file)"));
    }
}
