//! What only the redb backend promises: its file survives a restart and hosts many groups.

use coterie_storage::conformance::{entries, entry};
use coterie_storage::{LogId, LogState, LogStore, RedbLog, RedbStorage, SnapshotMeta, StorageError};

fn snapshot_meta() -> SnapshotMeta {
    SnapshotMeta {
        last_included: Some(LogId::new(2, 1, 4)),
        membership: b"{1,2}".to_vec(),
        snapshot_id: "s-4".to_owned(),
    }
}

#[test]
fn everything_survives_close_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.redb");
    {
        let storage = RedbStorage::open(&path).unwrap();
        let mut log = storage.log("g").unwrap();
        log.append(&entries(1, 1, 5)).unwrap();
        log.append(&entries(2, 6, 9)).unwrap();
        log.truncate_from(9).unwrap();
        log.purge_up_to(LogId::new(1, 1, 3)).unwrap();
        log.save_vote(b"vote-2").unwrap();
        log.save_committed(Some(LogId::new(2, 1, 7))).unwrap();
        log.save_snapshot(&snapshot_meta(), b"snapshot bytes").unwrap();
        // `storage` and `log` drop here, closing the file.
    }
    let storage = RedbStorage::open(&path).unwrap();
    let mut log = storage.log("g").unwrap();
    assert_eq!(
        log.log_state().unwrap(),
        LogState { last_purged: Some(LogId::new(1, 1, 3)), last: Some(LogId::new(2, 1, 8)) }
    );
    let mut expected = entries(1, 4, 5);
    expected.extend(entries(2, 6, 8));
    assert_eq!(log.read_range(0, u64::MAX).unwrap(), expected);
    assert_eq!(log.load_vote().unwrap(), Some(b"vote-2".to_vec()));
    assert_eq!(log.load_committed().unwrap(), Some(LogId::new(2, 1, 7)));
    assert_eq!(log.load_snapshot().unwrap(), Some((snapshot_meta(), b"snapshot bytes".to_vec())));

    // The reopened log goes on where it stopped.
    assert_eq!(log.append(&[entry(3, 10)]), Err(StorageError::NonContiguous { expected: 9, got: 10 }));
    log.append(&[entry(3, 9)]).unwrap();
    assert_eq!(log.log_state().unwrap().last, Some(LogId::new(3, 1, 9)));
}

#[test]
fn purge_beyond_last_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.redb");
    {
        let mut log = RedbStorage::open(&path).unwrap().log("g").unwrap();
        log.append(&entries(1, 1, 2)).unwrap();
        log.purge_up_to(LogId::new(4, 2, 50)).unwrap();
    }
    let log = RedbStorage::open(&path).unwrap().log("g").unwrap();
    let purged = Some(LogId::new(4, 2, 50));
    assert_eq!(log.log_state().unwrap(), LogState { last_purged: purged.clone(), last: purged });
    assert_eq!(log.read_range(0, u64::MAX).unwrap(), vec![]);
}

#[test]
fn groups_in_one_file_are_isolated() {
    let dir = tempfile::tempdir().unwrap();
    let storage = RedbStorage::open(&dir.path().join("node.redb")).unwrap();
    let mut a = storage.log("a").unwrap();
    // Names that would collide under a careless prefix scheme.
    let mut b = storage.log("a/b").unwrap();
    let untouched = storage.log("b").unwrap();

    a.append(&entries(1, 1, 10)).unwrap();
    b.append(&entries(7, 100, 102)).unwrap();
    a.save_vote(b"a's vote").unwrap();
    b.save_committed(Some(LogId::new(7, 1, 101))).unwrap();
    b.save_snapshot(&snapshot_meta(), b"b's snapshot").unwrap();
    a.purge_up_to(LogId::new(1, 1, 5)).unwrap();
    b.truncate_from(102).unwrap();

    assert_eq!(
        a.log_state().unwrap(),
        LogState { last_purged: Some(LogId::new(1, 1, 5)), last: Some(LogId::new(1, 1, 10)) }
    );
    assert_eq!(a.read_range(0, u64::MAX).unwrap(), entries(1, 6, 10));
    assert_eq!(a.load_vote().unwrap(), Some(b"a's vote".to_vec()));
    assert_eq!(a.load_committed().unwrap(), None);
    assert_eq!(a.load_snapshot().unwrap(), None);

    assert_eq!(b.log_state().unwrap(), LogState { last_purged: None, last: Some(LogId::new(7, 1, 101)) });
    assert_eq!(b.read_range(0, u64::MAX).unwrap(), entries(7, 100, 101));
    assert_eq!(b.load_vote().unwrap(), None);
    assert_eq!(b.load_committed().unwrap(), Some(LogId::new(7, 1, 101)));

    assert_eq!(untouched.log_state().unwrap(), LogState::default());
    assert_eq!(untouched.read_range(0, u64::MAX).unwrap(), vec![]);
}

#[test]
fn logs_are_send_and_usable_as_trait_objects() {
    fn assert_send<T: Send + 'static>() {}
    assert_send::<RedbLog>();
    assert_send::<RedbStorage>();

    let dir = tempfile::tempdir().unwrap();
    let storage = RedbStorage::open(&dir.path().join("node.redb")).unwrap();
    let mut logs: Vec<Box<dyn LogStore>> =
        vec![Box::new(storage.log("x").unwrap()), Box::new(coterie_storage::MemoryLog::new())];
    for log in &mut logs {
        log.append(&entries(1, 1, 3)).unwrap();
    }
    // A log moved to another thread keeps working on the shared file.
    let mut moved = storage.log("y").unwrap();
    std::thread::spawn(move || moved.append(&entries(1, 1, 2)).unwrap()).join().unwrap();
    assert_eq!(storage.log("y").unwrap().read_range(0, u64::MAX).unwrap(), entries(1, 1, 2));
    assert_eq!(logs[0].read_range(0, u64::MAX).unwrap(), logs[1].read_range(0, u64::MAX).unwrap());
}

#[test]
fn open_errors_say_what_to_check() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_db = dir.path().join("garbage.redb");
    std::fs::write(&not_a_db, vec![0x42; 8192]).unwrap();
    let err = RedbStorage::open(&not_a_db).unwrap_err();
    assert!(matches!(err, StorageError::Database { operation: "open or create the database file", .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("failed to open or create the database file"), "{message}");
    assert!(message.contains("free space"), "{message}");
}
