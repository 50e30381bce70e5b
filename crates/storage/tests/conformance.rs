//! Runs every case of `coterie_storage::conformance` against every backend.

use coterie_storage::{MemoryLog, RedbLog, RedbStorage, conformance};
use tempfile::TempDir;

/// A fresh, empty memory log (nothing to keep alive).
fn memory() -> Result<((), MemoryLog), Box<dyn std::error::Error>> {
    Ok(((), MemoryLog::new()))
}

/// A fresh, empty redb log in its own file; the directory lives as long as the returned guard.
fn redb() -> Result<(TempDir, RedbLog), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let storage = RedbStorage::open(&dir.path().join("node.redb"))?;
    let log = storage.log("group-1")?;
    Ok((dir, log))
}

/// `suite!(module, factory, [case, ...])`: one `#[test]` per case, in `module`, each on a store
/// from `factory()`, plus a check that the list covers every case the library defines.
macro_rules! suite {
    ($backend:ident, $factory:path, [$($case:ident),* $(,)?]) => {
        mod $backend {
            use super::*;

            $(
                #[test]
                fn $case() {
                    let (_guard, mut store) = $factory().unwrap();
                    conformance::$case(&mut store).unwrap();
                }
            )*

            #[test]
            fn runs_every_case() {
                assert_eq!(&[$(stringify!($case)),*][..], conformance::CASES);
            }
        }
    };
}

macro_rules! all_cases {
    ($backend:ident, $factory:path) => {
        suite!(
            $backend,
            $factory,
            [
                empty_state,
                empty_append_is_noop,
                first_append_may_start_anywhere,
                append_and_read_ranges,
                rejects_gap,
                rejects_gap_inside_batch,
                rejects_overlap,
                rejects_wrong_start_after_purge,
                truncate_then_append_new_term,
                truncate_beyond_end_is_noop,
                truncate_everything,
                purge_then_state_and_reads,
                purge_beyond_last,
                purge_backwards_is_noop,
                truncate_after_purge,
                vote_save_load_replace,
                committed_save_load_replace,
                snapshot_save_load_replace,
                multi_batch_appends,
                large_batch,
            ]
        );
    };
}

all_cases!(memory_log, memory);
all_cases!(redb_log, redb);
