//! Tests that need the private layout: records planted under the tables' real names.

use std::sync::atomic::AtomicU64;

use redb::TableDefinition;

use super::*;

fn entry(index: u64) -> Entry {
    Entry { log_id: LogId::new(1, 1, index), payload: vec![index as u8] }
}

/// Writes raw `bytes` under `key` in the table `name`, bypassing the codec.
fn plant<K: redb::Key + 'static>(storage: &RedbStorage, name: &str, key: K::SelfType<'_>, bytes: &[u8]) {
    let txn = storage.db.begin_write().unwrap();
    {
        let mut table = txn.open_table(TableDefinition::<K, &[u8]>::new(name)).unwrap();
        table.insert(key, bytes).unwrap();
    }
    txn.commit().unwrap();
}

#[test]
fn unknown_format_version_is_refused_for_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let storage = RedbStorage::open(&dir.path().join("node.redb")).unwrap();
    let mut log = storage.log("g").unwrap();
    log.append(&[entry(1), entry(2)]).unwrap();
    log.save_vote(b"v").unwrap();

    // A valid record body behind a version byte of 99, as a future release might write it.
    let mut future_entry = encode(&entry(2), "log entry").unwrap();
    future_entry[0] = 99;
    plant::<u64>(&storage, "coterie/log/g", 2, &future_entry);
    let unsupported = |what| StorageError::UnsupportedFormat { what, version: 99 };
    assert_eq!(log.read_range(0, 10).unwrap_err(), unsupported("log entry"));
    assert_eq!(log.log_state().unwrap_err(), unsupported("log entry"));
    assert_eq!(log.append(&[entry(3)]).unwrap_err(), unsupported("log entry"));
    assert_eq!(log.read_range(1, 2).unwrap(), vec![entry(1)], "records before it still read");

    for (key, what) in [
        (VOTE, "vote"),
        (COMMITTED, "committed log id"),
        (PURGED, "last purged log id"),
        (SNAPSHOT_META, "snapshot meta"),
        (SNAPSHOT_DATA, "snapshot data"),
    ] {
        // A fresh group per record, holding valid values of everything else.
        let group = format!("g-{key}");
        let mut log = storage.log(&group).unwrap();
        log.save_snapshot(&SnapshotMeta::default(), b"data").unwrap();
        log.save_committed(Some(LogId::new(1, 1, 1))).unwrap();
        plant::<&str>(&storage, &format!("coterie/meta/{group}"), key, &[99, 0]);
        let err = match key {
            VOTE => log.load_vote().map(drop),
            COMMITTED => log.load_committed().map(drop),
            PURGED => log.log_state().map(drop),
            _ => log.load_snapshot().map(drop),
        }
        .unwrap_err();
        assert_eq!(err, unsupported(what), "{key}");
        assert!(err.to_string().contains("format version 99"), "{err}");
        assert!(err.to_string().contains("run a Coterie release"), "{err}");
    }
}

#[test]
fn damaged_records_are_reported_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let storage = RedbStorage::open(&dir.path().join("node.redb")).unwrap();
    let log = storage.log("g").unwrap();

    // An entry filed under the wrong index.
    plant::<u64>(&storage, "coterie/log/g", 5, &encode(&entry(6), "log entry").unwrap());
    let err = log.read_range(0, 10).unwrap_err();
    assert!(matches!(err, StorageError::Corrupt { what: "log entry", .. }), "{err}");
    assert!(err.to_string().contains("index 5"), "{err}");

    // A truncated record.
    plant::<&str>(&storage, "coterie/meta/g", VOTE, &[crate::codec::FORMAT_VERSION]);
    assert!(matches!(log.load_vote().unwrap_err(), StorageError::Corrupt { what: "vote", .. }));

    // Half a snapshot.
    plant::<&str>(&storage, "coterie/meta/g", SNAPSHOT_DATA, &encode(&b"data"[..], "snapshot data").unwrap());
    assert!(matches!(log.load_snapshot().unwrap_err(), StorageError::Corrupt { what: "snapshot", .. }));
}

#[test]
fn refused_batches_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let storage = RedbStorage::open(&dir.path().join("node.redb")).unwrap();
    let mut log = storage.log("g").unwrap();
    log.append(&[entry(1)]).unwrap();
    let err = log.append(&[entry(2), entry(4)]).unwrap_err();
    assert_eq!(err, StorageError::NonContiguous { expected: 3, got: 4 });
    assert_eq!(log.read_range(0, 10).unwrap(), vec![entry(1)]);
}

#[test]
fn the_watch_tells_when_every_handle_on_the_file_is_gone_and_the_file_can_be_opened_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coterie.redb");
    let storage = RedbStorage::open(&path).unwrap();
    let watch = storage.watch();
    assert_eq!(watch.path(), path);
    let log = storage.log("g").unwrap();
    drop(storage);
    assert!(!watch.is_closed(), "a log taken from the storage keeps the file open");
    assert!(RedbStorage::open(&path).is_err(), "redb refuses a second open in one process");
    drop(log);
    assert!(watch.is_closed());
    RedbStorage::open(&path).unwrap();
}

#[test]
fn concurrent_appends_to_many_logs_share_fsyncs_and_all_survive_a_reopen() {
    const LOGS: u64 = 8;
    const APPENDS: u64 = 50;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.redb");
    let storage = RedbStorage::open(&path).unwrap();
    std::thread::scope(|scope| {
        for group in 0..LOGS {
            let mut log = storage.log(&format!("partition-{group}")).unwrap();
            scope.spawn(move || {
                for index in 1..=APPENDS {
                    log.append(&[entry(index)]).unwrap();
                }
            });
        }
    });
    let fsyncs = storage.durable_commits();
    assert!(fsyncs <= LOGS * APPENDS, "{fsyncs} durable commits for {} appends", LOGS * APPENDS);
    drop(storage);

    let storage = RedbStorage::open(&path).unwrap();
    for group in 0..LOGS {
        let log = storage.log(&format!("partition-{group}")).unwrap();
        let expected: Vec<Entry> = (1..=APPENDS).map(entry).collect();
        assert_eq!(log.read_range(1, APPENDS + 1).unwrap(), expected, "partition-{group}");
    }
}

/// A write for [`commit_writes`] that inserts `value` under key 1 of table `table`, then
/// fails with `fail` if given (after writing: the abort must drop what it wrote), and
/// counts its runs.
fn planted_write(table: &'static str, value: u8, fail: Option<StorageError>, runs: Arc<AtomicU64>) -> Write {
    let body = move |txn: &WriteTransaction| {
        runs.fetch_add(1, Ordering::SeqCst);
        let mut t = txn.open_table(TableDefinition::<u64, &[u8]>::new(table)).map_err(StorageError::database("t"))?;
        t.insert(1, [value].as_slice()).map_err(StorageError::database("t"))?;
        match &fail {
            Some(err) => Err(err.clone()),
            None => Ok(true),
        }
    };
    Write { operation: "plant", body: Box::new(body) }
}

fn planted(storage: &RedbStorage, table: &str) -> Option<u8> {
    let txn = storage.db.begin_read().unwrap();
    match txn.open_table(TableDefinition::<u64, &[u8]>::new(table)) {
        Ok(t) => t.get(1).unwrap().map(|v| v.value()[0]),
        Err(TableError::TableDoesNotExist(_)) => None,
        Err(err) => panic!("{err}"),
    }
}

#[test]
fn a_failed_write_of_a_shared_commit_is_left_out_and_the_others_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let storage = RedbStorage::open(&dir.path().join("node.redb")).unwrap();
    let runs: Vec<Arc<AtomicU64>> = (0..3).map(|_| Arc::new(AtomicU64::new(0))).collect();
    let refusal = StorageError::NonContiguous { expected: 5, got: 9 };
    let writes = vec![
        planted_write("a", 1, None, Arc::clone(&runs[0])),
        planted_write("b", 2, Some(refusal.clone()), Arc::clone(&runs[1])),
        planted_write("c", 3, None, Arc::clone(&runs[2])),
    ];
    let results = commit_writes(&storage.db.database, writes);
    assert_eq!(results, vec![Ok(()), Err(refusal), Ok(())]);
    assert_eq!((planted(&storage, "a"), planted(&storage, "b"), planted(&storage, "c")), (Some(1), None, Some(3)));
    let runs: Vec<u64> = runs.iter().map(|r| r.load(Ordering::SeqCst)).collect();
    assert_eq!(runs, vec![2, 1, 1], "the transaction ran again without the failed write");
    drop(storage);
    let storage = RedbStorage::open(&dir.path().join("node.redb")).unwrap();
    assert_eq!((planted(&storage, "a"), planted(&storage, "c")), (Some(1), Some(3)), "durable");
}

#[test]
fn a_shared_commit_in_which_nothing_changed_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let storage = RedbStorage::open(&dir.path().join("node.redb")).unwrap();
    let mut log = storage.log("g").unwrap();
    // Truncating or purging an empty log changes nothing.
    log.truncate_from(1).unwrap();
    assert_eq!(log.log_state().unwrap(), LogState::default());
    let txn = storage.db.begin_read().unwrap();
    assert!(matches!(
        txn.open_table(TableDefinition::<u64, &[u8]>::new("coterie/log/g")),
        Err(TableError::TableDoesNotExist(_))
    ));
}

#[test]
fn appends_that_fail_their_checks_leave_the_log_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let storage = RedbStorage::open(&dir.path().join("node.redb")).unwrap();
    let mut log = storage.log("g").unwrap();
    log.append(&[entry(1), entry(2)]).unwrap();
    assert_eq!(log.append(&[entry(4)]), Err(StorageError::NonContiguous { expected: 3, got: 4 }));
    assert_eq!(log.append(&[entry(3), entry(5)]), Err(StorageError::NonContiguous { expected: 4, got: 5 }));
    assert_eq!(log.read_range(1, 10).unwrap(), vec![entry(1), entry(2)]);
}
