use super::*;
use crate::machine::Reply;
use crate::testing::{call, internal};

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

fn run(m: &mut Map, command: MapCommand) -> Applied<MapOutput> {
    m.apply(command, &call(1, 0, 1, 1))
}

fn put(m: &mut Map, key: &str, value: &str) -> Applied<MapOutput> {
    run(m, MapCommand::Put { key: b(key), value: b(value) })
}

fn get(m: &mut Map, key: &str) -> Applied<MapOutput> {
    run(m, MapCommand::Get { key: b(key) })
}

fn value(v: Option<&str>) -> Applied<MapOutput> {
    Applied::ok(MapOutput::Value(v.map(b)))
}

fn keys_page(keys: &[&str], next: Option<&str>) -> Applied<MapOutput> {
    Applied::ok(MapOutput::Keys { keys: keys.iter().map(|k| b(k)).collect(), next: next.map(b) })
}

/// A map holding `a`..`e` with values `A`..`E`.
fn abcde() -> Map {
    let mut m = Map::default();
    for (k, v) in [("c", "C"), ("a", "A"), ("e", "E"), ("b", "B"), ("d", "D")] {
        put(&mut m, k, v);
    }
    m
}

#[test]
fn put_get_contains_delete() {
    let mut m = Map::default();
    assert_eq!(get(&mut m, "k"), value(None));
    assert_eq!(put(&mut m, "k", "v1"), value(None));
    assert_eq!(put(&mut m, "k", "v2"), value(Some("v1")));
    assert_eq!(get(&mut m, "k"), value(Some("v2")));
    assert_eq!(run(&mut m, MapCommand::Contains { key: b("k") }), Applied::ok(MapOutput::Bool(true)));
    assert_eq!(run(&mut m, MapCommand::Contains { key: b("x") }), Applied::ok(MapOutput::Bool(false)));
    assert_eq!(run(&mut m, MapCommand::Delete { key: b("k") }), Applied::ok(MapOutput::Bool(true)));
    assert_eq!(run(&mut m, MapCommand::Delete { key: b("k") }), Applied::ok(MapOutput::Bool(false)));
    assert_eq!(get(&mut m, "k"), value(None));
    assert!(m.is_empty());
}

#[test]
fn empty_keys_and_values_are_real_entries() {
    let mut m = Map::default();
    assert_eq!(put(&mut m, "", ""), value(None));
    assert_eq!(get(&mut m, ""), value(Some("")));
    assert_eq!(run(&mut m, MapCommand::Contains { key: vec![] }), Applied::ok(MapOutput::Bool(true)));
    assert_eq!(run(&mut m, MapCommand::Size), Applied::ok(MapOutput::Count(1)));
}

#[test]
fn put_if_absent_answers_the_existing_value_and_does_not_overwrite() {
    let mut m = Map::default();
    assert_eq!(run(&mut m, MapCommand::PutIfAbsent { key: b("k"), value: b("first") }), value(None));
    assert_eq!(run(&mut m, MapCommand::PutIfAbsent { key: b("k"), value: b("second") }), value(Some("first")));
    assert_eq!(get(&mut m, "k"), value(Some("first")));
}

#[test]
fn replace_only_stores_over_an_existing_entry() {
    let mut m = Map::default();
    assert_eq!(run(&mut m, MapCommand::Replace { key: b("k"), value: b("v") }), value(None));
    assert_eq!(get(&mut m, "k"), value(None));
    assert_eq!(m.len(), 0);
    put(&mut m, "k", "old");
    assert_eq!(run(&mut m, MapCommand::Replace { key: b("k"), value: b("new") }), value(Some("old")));
    assert_eq!(get(&mut m, "k"), value(Some("new")));
}

#[test]
fn compare_and_set_covers_insert_update_and_delete() {
    let mut m = Map::default();
    let cas = |m: &mut Map, expected: Option<&str>, update: Option<&str>| {
        run(m, MapCommand::CompareAndSet { key: b("k"), expected: expected.map(b), update: update.map(b) })
    };
    let yes = Applied::ok(MapOutput::Bool(true));
    let no = Applied::ok(MapOutput::Bool(false));

    // Absent: only `expected: None` matches.
    assert_eq!(cas(&mut m, Some("x"), Some("v1")), no);
    assert_eq!(get(&mut m, "k"), value(None));
    assert_eq!(cas(&mut m, None, None), yes);
    assert_eq!(m.len(), 0);
    assert_eq!(cas(&mut m, None, Some("v1")), yes);
    assert_eq!(get(&mut m, "k"), value(Some("v1")));

    // Present: `expected: None` no longer matches, the right value does.
    assert_eq!(cas(&mut m, None, Some("v2")), no);
    assert_eq!(cas(&mut m, Some("v0"), Some("v2")), no);
    assert_eq!(get(&mut m, "k"), value(Some("v1")));
    assert_eq!(cas(&mut m, Some("v1"), Some("v2")), yes);
    assert_eq!(get(&mut m, "k"), value(Some("v2")));

    // An empty value is not absence.
    assert_eq!(cas(&mut m, Some("v2"), Some("")), yes);
    assert_eq!(cas(&mut m, None, Some("v3")), no);
    assert_eq!(cas(&mut m, Some(""), None), yes);
    assert_eq!(get(&mut m, "k"), value(None));
    assert_eq!(cas(&mut m, Some(""), Some("v4")), no);
    assert!(m.is_empty());
}

#[test]
fn size_and_clear_count_entries() {
    let mut m = abcde();
    assert_eq!(run(&mut m, MapCommand::Size), Applied::ok(MapOutput::Count(5)));
    assert_eq!(run(&mut m, MapCommand::Clear), Applied::ok(MapOutput::Count(5)));
    assert_eq!(run(&mut m, MapCommand::Size), Applied::ok(MapOutput::Count(0)));
    assert_eq!(run(&mut m, MapCommand::Clear), Applied::ok(MapOutput::Count(0)));
    assert_eq!(get(&mut m, "a"), value(None));
}

#[test]
fn keys_are_paged_in_byte_order_with_a_key_cursor() {
    let mut m = abcde();
    let keys = |m: &mut Map, after: Option<&str>, limit| run(m, MapCommand::Keys { after: after.map(b), limit });
    assert_eq!(keys(&mut m, None, 2), keys_page(&["a", "b"], Some("b")));
    assert_eq!(keys(&mut m, Some("b"), 2), keys_page(&["c", "d"], Some("d")));
    assert_eq!(keys(&mut m, Some("d"), 2), keys_page(&["e"], None));
    // A full page that happens to end the listing has no cursor.
    assert_eq!(keys(&mut m, Some("c"), 2), keys_page(&["d", "e"], None));
    assert_eq!(keys(&mut m, None, 5), keys_page(&["a", "b", "c", "d", "e"], None));
    assert_eq!(keys(&mut m, None, MAX_PAGE_LIMIT), keys_page(&["a", "b", "c", "d", "e"], None));
    // The cursor need not be a stored key, and past the end the page is empty.
    assert_eq!(keys(&mut m, Some("bb"), 1), keys_page(&["c"], Some("c")));
    assert_eq!(keys(&mut m, Some(""), 1), keys_page(&["a"], Some("a")));
    assert_eq!(keys(&mut m, Some("e"), 3), keys_page(&[], None));
    assert_eq!(keys(&mut m, Some("zzz"), 3), keys_page(&[], None));
    assert_eq!(keys(&mut Map::default(), None, 1), keys_page(&[], None));
}

#[test]
fn byte_order_is_unsigned_and_prefixes_come_first() {
    let mut m = Map::default();
    for key in [vec![0xff], vec![0x01, 0x00], vec![0x01], vec![0x00], vec![]] {
        run(&mut m, MapCommand::Put { key, value: vec![] });
    }
    assert_eq!(
        run(&mut m, MapCommand::Keys { after: None, limit: 10 }),
        Applied::ok(MapOutput::Keys {
            keys: vec![vec![], vec![0x00], vec![0x01], vec![0x01, 0x00], vec![0xff]],
            next: None
        })
    );
}

#[test]
fn entries_are_paged_like_keys() {
    let mut m = abcde();
    let entries = |m: &mut Map, after: Option<&str>, limit| run(m, MapCommand::Entries { after: after.map(b), limit });
    assert_eq!(
        entries(&mut m, None, 3),
        Applied::ok(MapOutput::Entries {
            entries: vec![(b("a"), b("A")), (b("b"), b("B")), (b("c"), b("C"))],
            next: Some(b("c")),
        })
    );
    assert_eq!(
        entries(&mut m, Some("c"), 3),
        Applied::ok(MapOutput::Entries { entries: vec![(b("d"), b("D")), (b("e"), b("E"))], next: None })
    );
    assert_eq!(entries(&mut m, Some("e"), 1), Applied::ok(MapOutput::Entries { entries: vec![], next: None }));
}

#[test]
fn paging_survives_writes_between_pages() {
    let mut m = abcde();
    let first = run(&mut m, MapCommand::Keys { after: None, limit: 2 });
    assert_eq!(first, keys_page(&["a", "b"], Some("b")));
    // Delete the cursor key itself and insert before and after it.
    run(&mut m, MapCommand::Delete { key: b("b") });
    put(&mut m, "aa", "AA");
    put(&mut m, "ca", "CA");
    assert_eq!(
        run(&mut m, MapCommand::Keys { after: Some(b("b")), limit: 10 }),
        keys_page(&["c", "ca", "d", "e"], None)
    );
}

#[test]
fn walking_all_pages_lists_every_key_once_for_every_limit() {
    let mut m = Map::default();
    let all: Vec<Vec<u8>> = (0u8..23).map(|i| vec![i.wrapping_mul(37), i]).collect();
    for key in &all {
        run(&mut m, MapCommand::Put { key: key.clone(), value: key.clone() });
    }
    let mut sorted = all.clone();
    sorted.sort();
    for limit in 1..=25u32 {
        let mut seen = Vec::new();
        let mut after = None;
        let mut pages = 0;
        loop {
            pages += 1;
            let Reply::Ready(Ok(MapOutput::Keys { keys, next })) =
                run(&mut m, MapCommand::Keys { after: after.clone(), limit }).response
            else {
                panic!("expected a page of keys");
            };
            assert!(keys.len() <= limit as usize);
            seen.extend(keys);
            match next {
                Some(cursor) => {
                    assert_eq!(Some(&cursor), seen.last());
                    after = Some(cursor);
                }
                None => break,
            }
        }
        assert_eq!(seen, sorted, "limit {limit}");
        assert_eq!(pages, sorted.len().div_ceil(limit as usize).max(1), "limit {limit}");
    }
}

#[test]
fn page_limits_outside_the_accepted_range_are_refused() {
    let mut m = abcde();
    for limit in [0, MAX_PAGE_LIMIT + 1, u32::MAX] {
        let reason = InvalidReason::PageLimit { limit, max: 10_000 };
        assert_eq!(reason.to_string(), format!("limit must be between 1 and 10000 items per page, got {limit}"));
        assert_eq!(
            run(&mut m, MapCommand::Keys { after: None, limit }),
            Applied::err(CoreError::invalid("keys", reason.clone()))
        );
        assert_eq!(
            run(&mut m, MapCommand::Entries { after: Some(b("a")), limit }),
            Applied::err(CoreError::invalid("entries", reason))
        );
    }
}

#[test]
fn reads_and_writes_need_no_session() {
    let mut m = Map::default();
    assert_eq!(m.apply(MapCommand::Put { key: b("k"), value: b("v") }, &internal(1, 0)), value(None));
    assert_eq!(m.apply(MapCommand::Get { key: b("k") }, &internal(2, 0)), value(Some("v")));
}

#[test]
fn payload_len_counts_every_key_and_value_byte() {
    let cases = [
        (MapCommand::Put { key: b("ab"), value: b("cde") }, 5),
        (MapCommand::PutIfAbsent { key: b("ab"), value: b("c") }, 3),
        (MapCommand::Replace { key: b(""), value: b("cd") }, 2),
        (MapCommand::Get { key: b("abc") }, 3),
        (MapCommand::Contains { key: b("ab") }, 2),
        (MapCommand::Delete { key: b("a") }, 1),
        (MapCommand::CompareAndSet { key: b("k"), expected: Some(b("ab")), update: Some(b("abc")) }, 6),
        (MapCommand::CompareAndSet { key: b("k"), expected: None, update: None }, 1),
        (MapCommand::Keys { after: Some(b("abcd")), limit: 1 }, 4),
        (MapCommand::Entries { after: None, limit: 1 }, 0),
        (MapCommand::Size, 0),
        (MapCommand::Clear, 0),
    ];
    for (command, expected) in cases {
        assert_eq!(command.payload_len(), expected, "{command:?}");
    }
}

#[test]
fn snapshot_round_trips() {
    let m = abcde();
    let restored = Map::restore(&m.snapshot().unwrap()).unwrap();
    assert_eq!(restored, m);
    assert_eq!(restored.len(), 5);
}
