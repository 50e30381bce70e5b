//! Runs every case of `coterie_storage::blob::conformance` against every blob backend, and
//! checks what only the file backend promises: blobs survive reopening, a crash's temporary
//! files are cleared, and a damaged file is reported as corrupt.

use coterie_storage::blob::{BlobError, BlobHash, BlobStore, FileBlobStore, MemoryBlobStore, conformance};
use tempfile::TempDir;

fn memory() -> Result<((), MemoryBlobStore), Box<dyn std::error::Error>> {
    Ok(((), MemoryBlobStore::new()))
}

fn file() -> Result<(TempDir, FileBlobStore), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = FileBlobStore::open(dir.path().join("blobs"))?;
    Ok((dir, store))
}

macro_rules! suite {
    ($backend:ident, $factory:path, [$($case:ident),* $(,)?]) => {
        mod $backend {
            use super::*;

            $(
                #[test]
                fn $case() {
                    let (_guard, store) = $factory().unwrap();
                    conformance::$case(&store).unwrap();
                }
            )*

            #[test]
            fn runs_every_case() {
                assert_eq!(&[$(stringify!($case)),*][..], conformance::CASES);
            }
        }
    };
}

macro_rules! every_case {
    ($backend:ident, $factory:path) => {
        suite!(
            $backend,
            $factory,
            [
                empty,
                put_get_round_trip,
                put_is_idempotent,
                put_again_refreshes_stored_at,
                touch_refreshes_stored_at,
                empty_blob,
                ranges,
                put_expecting_refuses_wrong_bytes,
                replace_repairs_a_copy,
                delete,
                list_in_hash_order,
                large_blob,
            ]
        );
    };
}

every_case!(memory_store, memory);
every_case!(file_store, file);

#[test]
fn file_blobs_survive_reopening_and_leftover_temporary_files_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blobs");
    let hash = FileBlobStore::open(&path).unwrap().put(b"durable").unwrap();
    std::fs::write(path.join("tmp").join("half-written"), b"dur").unwrap();
    let store = FileBlobStore::open(&path).unwrap();
    assert_eq!(store.get(&hash).unwrap(), b"durable");
    assert_eq!(std::fs::read_dir(path.join("tmp")).unwrap().count(), 0);
    assert_eq!(store.list().unwrap().len(), 1);
}

#[test]
fn a_damaged_file_is_reported_as_corrupt_on_a_whole_read() {
    let (dir, store) = file().unwrap();
    let hash = store.put(b"original").unwrap();
    let hex = hash.to_hex();
    let on_disk = dir.path().join("blobs").join(&hex[..2]).join(&hex[2..]);
    std::fs::write(&on_disk, b"tampered").unwrap();
    match store.get(&hash) {
        Err(BlobError::Corrupt { expected, actual }) => {
            assert_eq!(expected, hash);
            assert_eq!(actual, BlobHash::of(b"tampered"));
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn a_damaged_memory_blob_is_reported_as_corrupt_too() {
    let store = MemoryBlobStore::new();
    let hash = store.put(b"original").unwrap();
    store.corrupt(&hash, b"tampered");
    assert!(matches!(store.get(&hash), Err(BlobError::Corrupt { .. })));
}
