//! Random operation sequences give the same results on `MemoryLog` and `RedbLog`.
//!
//! The memory backend is the executable specification; any divergence is a redb backend bug
//! (or a contract gap the conformance suite should gain a case for). Durability stays on: the
//! sequences are short and the cases few, so the fsyncs cost a few seconds at most.

use coterie_storage::{Entry, LogId, LogStore, MemoryLog, RedbStorage};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, RngSeed};

#[derive(Clone, Debug)]
enum Op {
    /// Append `count` entries in `term`, starting `shift` positions after the expected index
    /// (shift 1 = exactly right; 0 overlaps; 2.. leaves a gap).
    Append { count: u64, term: u64, shift: u64 },
    /// Truncate from `last - back` (saturating).
    Truncate { back: u64 },
    /// Purge up to `last_purged + ahead` in `term` (0 = same index: no-op), possibly past the end.
    Purge { ahead: u64, term: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1u64..6, 1u64..4, prop_oneof![8 => Just(1u64), 1 => Just(0u64), 1 => 2u64..4])
            .prop_map(|(count, term, shift)| Op::Append { count, term, shift }),
        1 => (0u64..8).prop_map(|back| Op::Truncate { back }),
        1 => (0u64..12, 1u64..4).prop_map(|(ahead, term)| Op::Purge { ahead, term }),
    ]
}

fn config() -> Config {
    Config {
        cases: 64,
        // Deterministic: the same sequences on every run and every machine.
        rng_seed: RngSeed::Fixed(0x00C0_7E41),
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn memory_and_redb_agree(first in 0u64..3, ops in prop::collection::vec(op(), 1..16), range in (0u64..40, 0u64..40)) {
        let dir = tempfile::tempdir().unwrap();
        let storage = RedbStorage::open(&dir.path().join("node.redb")).unwrap();
        let mut redb = storage.log("g").unwrap();
        let mut memory = MemoryLog::new();

        for op in &ops {
            let state = memory.log_state().unwrap();
            let last = state.last.as_ref().map(|id| id.index);
            let (memory_result, redb_result) = match *op {
                Op::Append { count, term, shift } => {
                    let start = last.map_or(first, |last| (last + shift).saturating_sub(1));
                    let batch: Vec<Entry> = (start..start + count)
                        .map(|index| Entry { log_id: LogId::new(term, term % 3, index), payload: index.to_le_bytes().to_vec() })
                        .collect();
                    (memory.append(&batch), redb.append(&batch))
                }
                Op::Truncate { back } => {
                    let index = last.unwrap_or(first).saturating_sub(back);
                    (memory.truncate_from(index), redb.truncate_from(index))
                }
                Op::Purge { ahead, term } => {
                    let base = state.last_purged.as_ref().map_or(first, |id| id.index);
                    let id = LogId::new(term, 9, base + ahead);
                    (memory.purge_up_to(id.clone()), redb.purge_up_to(id))
                }
            };
            prop_assert_eq!(&memory_result, &redb_result, "after {:?}", op);
            prop_assert_eq!(memory.log_state().unwrap(), redb.log_state().unwrap(), "after {:?}", op);
        }
        prop_assert_eq!(memory.read_range(0, u64::MAX).unwrap(), redb.read_range(0, u64::MAX).unwrap());
        let (start, end) = range;
        prop_assert_eq!(memory.read_range(start, end).unwrap(), redb.read_range(start, end).unwrap());

        // And the file still says the same after a restart.
        drop(redb);
        drop(storage);
        let reopened = RedbStorage::open(&dir.path().join("node.redb")).unwrap().log("g").unwrap();
        prop_assert_eq!(memory.log_state().unwrap(), reopened.log_state().unwrap());
        prop_assert_eq!(memory.read_range(0, u64::MAX).unwrap(), reopened.read_range(0, u64::MAX).unwrap());
    }
}
