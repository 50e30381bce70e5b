//! The [`BlobStore`] contract as executable cases, shared by every backend.
//!
//! Each case takes a fresh, empty store and panics (via `assert!`) on a violation; failures
//! that are not under test are returned as errors. `tests/blob_conformance.rs` runs every case
//! against [`MemoryBlobStore`](super::MemoryBlobStore) and [`FileBlobStore`](super::FileBlobStore).

use super::{BlobError, BlobHash, BlobStore};

/// Every case, by name, for suites that want to check they run them all.
pub const CASES: &[&str] = &[
    "empty",
    "put_get_round_trip",
    "put_is_idempotent",
    "put_again_refreshes_stored_at",
    "touch_refreshes_stored_at",
    "empty_blob",
    "ranges",
    "put_expecting_refuses_wrong_bytes",
    "replace_repairs_a_copy",
    "delete",
    "list_in_hash_order",
    "large_blob",
];

/// A new store holds nothing.
pub fn empty<S: BlobStore + ?Sized>(store: &S) -> Result<(), BlobError> {
    let hash = BlobHash::of(b"nothing");
    assert_eq!(store.len(&hash)?, None);
    assert!(!store.contains(&hash)?);
    assert!(matches!(store.get(&hash), Err(BlobError::NotFound { .. })));
    assert!(matches!(store.read(&hash, 0..1), Err(BlobError::NotFound { .. })));
    assert!(store.list()?.is_empty());
    Ok(())
}

/// What is put is got back, under the SHA-256 of its bytes.
pub fn put_get_round_trip<S: BlobStore + ?Sized>(store: &S) -> Result<(), BlobError> {
    let hash = store.put(b"hello, blob")?;
    assert_eq!(hash, BlobHash::of(b"hello, blob"));
    assert_eq!(store.get(&hash)?, b"hello, blob");
    assert_eq!(store.len(&hash)?, Some(11));
    assert!(store.contains(&hash)?);
    Ok(())
}

/// Putting the same bytes twice stores one blob.
pub fn put_is_idempotent<S: BlobStore + ?Sized>(store: &S) -> Result<(), BlobError> {
    let a = store.put(b"twice")?;
    let b = store.put(b"twice")?;
    assert_eq!(a, b);
    assert_eq!(store.list()?.len(), 1);
    Ok(())
}

/// Putting a stored blob again moves its stored time forward, never back.
pub fn put_again_refreshes_stored_at<S: BlobStore + ?Sized>(store: &S) -> Result<(), BlobError> {
    let hash = store.put(b"again")?;
    let first = store.list()?.first().map(|info| info.stored_at);
    // So the refreshed time is distinguishable.
    wait_for_the_clock_to_move();
    store.put(b"again")?;
    let second = store.list()?.first().map(|info| info.stored_at);
    assert!(second > first, "stored_at {second:?} should have moved past {first:?}");
    assert_eq!(store.info(&hash)?.map(|info| info.stored_at), second);
    assert_eq!(store.info(&hash)?.map(|info| info.len), Some(5));
    assert_eq!(store.get(&hash)?, b"again");
    Ok(())
}

/// Touching a stored blob refreshes its stored time and keeps its bytes; touching an absent
/// one stores nothing and says so.
pub fn touch_refreshes_stored_at<S: BlobStore + ?Sized>(store: &S) -> Result<(), BlobError> {
    let hash = store.put(b"touched")?;
    let first = store.info(&hash)?.map(|info| info.stored_at);
    wait_for_the_clock_to_move();
    assert!(store.touch(&hash)?, "a stored blob is touched");
    let second = store.info(&hash)?.map(|info| info.stored_at);
    assert!(second > first, "stored_at {second:?} should have moved past {first:?}");
    assert_eq!(store.get(&hash)?, b"touched");
    let absent = BlobHash::of(b"never stored");
    assert!(!store.touch(&absent)?, "an absent blob is not touched");
    assert_eq!(store.info(&absent)?, None);
    assert_eq!(store.list()?.len(), 1);
    Ok(())
}

/// Spins until the wall clock has visibly moved (file modification times have a coarse
/// resolution), bounded by a spin count.
fn wait_for_the_clock_to_move() {
    let before = std::time::SystemTime::now();
    let mut spins = 0u32;
    while std::time::SystemTime::now().duration_since(before).unwrap_or_default() < std::time::Duration::from_millis(20)
        && spins < 10_000_000
    {
        spins += 1;
        std::hint::spin_loop();
    }
}

/// A zero-length blob is a blob.
pub fn empty_blob<S: BlobStore + ?Sized>(store: &S) -> Result<(), BlobError> {
    let hash = store.put(b"")?;
    assert_eq!(store.get(&hash)?, b"");
    assert_eq!(store.len(&hash)?, Some(0));
    assert_eq!(store.read(&hash, 0..0)?, b"");
    assert!(matches!(store.read(&hash, 0..1), Err(BlobError::OutOfRange { len: 0, .. })));
    Ok(())
}

/// Ranges inside the blob are read exactly; ranges outside or reversed are refused.
pub fn ranges<S: BlobStore + ?Sized>(store: &S) -> Result<(), BlobError> {
    let hash = store.put(b"0123456789")?;
    assert_eq!(store.read(&hash, 0..10)?, b"0123456789");
    assert_eq!(store.read(&hash, 3..7)?, b"3456");
    assert_eq!(store.read(&hash, 9..10)?, b"9");
    assert_eq!(store.read(&hash, 10..10)?, b"");
    assert!(matches!(store.read(&hash, 5..11), Err(BlobError::OutOfRange { start: 5, end: 11, len: 10, .. })));
    #[allow(clippy::reversed_empty_ranges)]
    let reversed = 7..3;
    assert!(matches!(store.read(&hash, reversed), Err(BlobError::OutOfRange { .. })));
    Ok(())
}

/// Bytes from a peer are stored only if they hash to what the peer said.
pub fn put_expecting_refuses_wrong_bytes<S: BlobStore + ?Sized>(store: &S) -> Result<(), BlobError> {
    let expected = BlobHash::of(b"right");
    match store.put_expecting(expected, b"wrong") {
        Err(BlobError::Corrupt { expected: e, actual }) => {
            assert_eq!(e, expected);
            assert_eq!(actual, BlobHash::of(b"wrong"));
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert!(!store.contains(&expected)?);
    assert!(!store.contains(&BlobHash::of(b"wrong"))?);
    store.put_expecting(expected, b"right")?;
    assert_eq!(store.get(&expected)?, b"right");
    Ok(())
}

/// `replace` stores verified bytes over whatever is there, and refuses bytes of another hash.
pub fn replace_repairs_a_copy<S: BlobStore + ?Sized>(store: &S) -> Result<(), BlobError> {
    let hash = BlobHash::of(b"fresh");
    store.replace(hash, b"fresh")?;
    assert_eq!(store.get(&hash)?, b"fresh");
    store.replace(hash, b"fresh")?;
    assert_eq!(store.list()?.len(), 1);
    assert!(matches!(store.replace(hash, b"other"), Err(BlobError::Corrupt { .. })));
    assert_eq!(store.get(&hash)?, b"fresh");
    Ok(())
}

/// A deleted blob is gone; deleting it again says it was not there.
pub fn delete<S: BlobStore + ?Sized>(store: &S) -> Result<(), BlobError> {
    let keep = store.put(b"keep")?;
    let drop = store.put(b"drop")?;
    assert!(store.delete(&drop)?);
    assert!(!store.delete(&drop)?);
    assert!(!store.contains(&drop)?);
    assert_eq!(store.get(&keep)?, b"keep");
    assert_eq!(store.list()?.iter().map(|info| info.hash).collect::<Vec<_>>(), vec![keep]);
    Ok(())
}

/// `list` reports every blob once, in hash order, with its length.
pub fn list_in_hash_order<S: BlobStore + ?Sized>(store: &S) -> Result<(), BlobError> {
    let mut expected = Vec::new();
    for i in 0..20u32 {
        let bytes = vec![b'x'; usize::try_from(i).unwrap_or(0)];
        expected.push((store.put(&bytes)?, u64::from(i)));
    }
    expected.sort();
    let listed: Vec<_> = store.list()?.iter().map(|info| (info.hash, info.len)).collect();
    assert_eq!(listed, expected);
    Ok(())
}

/// A blob of several mebibytes is stored and read back, whole and by range.
pub fn large_blob<S: BlobStore + ?Sized>(store: &S) -> Result<(), BlobError> {
    let bytes: Vec<u8> = (0..9 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let hash = store.put(&bytes)?;
    assert_eq!(store.get(&hash)?, bytes);
    let start = 5 * 1024 * 1024;
    assert_eq!(store.read(&hash, start as u64..(start + 100) as u64)?, bytes[start..start + 100]);
    Ok(())
}
