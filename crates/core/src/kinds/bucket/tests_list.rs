//! Listings: exact pages, and a property test against a naive model (every page, and every
//! full pagination, with and without a delimiter, neither skips nor repeats).

use std::collections::BTreeSet;
use std::time::Duration;

use proptest::prelude::*;

use super::tests::{Log, blob, put_cmd};
use super::*;

fn list(log: &mut Log, prefix: &str, delimiter: Option<&str>, start_after: Option<&str>, max_keys: u32) -> ListPage {
    let command = BucketCommand::List {
        prefix: prefix.into(),
        delimiter: delimiter.map(Into::into),
        start_after: start_after.map(Into::into),
        max_keys: Some(max_keys),
    };
    match log.apply(command) {
        Ok(BucketOutput::Listing(page)) => page,
        other => panic!("{other:?}"),
    }
}

fn keys(page: &ListPage) -> Vec<&str> {
    page.entries.iter().map(|(k, _)| k.as_str()).collect()
}

fn photos() -> Log {
    let mut log = Log::new();
    for key in [
        "photos/2006/January/sample.jpg",
        "photos/2006/February/sample2.jpg",
        "photos/2006/February/sample3.jpg",
        "photos/2006/index.html",
        "photos/2007/",
        "readme",
    ] {
        log.put(key, PutCondition::Overwrite).unwrap();
    }
    log
}

#[test]
fn a_delimiter_rolls_keys_up_into_common_prefixes() {
    let mut log = photos();
    let page = list(&mut log, "photos/2006/", Some("/"), None, 1000);
    assert_eq!(keys(&page), ["photos/2006/index.html"]);
    assert_eq!(page.common_prefixes, ["photos/2006/February/", "photos/2006/January/"]);
    assert_eq!((page.is_truncated, page.next_start_after), (false, None));

    let top = list(&mut log, "", Some("/"), None, 1000);
    assert_eq!((keys(&top), &top.common_prefixes), (vec!["readme"], &vec!["photos/".to_owned()]));
    let flat = list(&mut log, "photos/2006/F", None, None, 1000);
    assert_eq!(keys(&flat), ["photos/2006/February/sample2.jpg", "photos/2006/February/sample3.jpg"]);
    let empty_delimiter = list(&mut log, "photos/2007", Some(""), None, 1000);
    assert_eq!(keys(&empty_delimiter), ["photos/2007/"]);
}

#[test]
fn common_prefixes_count_toward_max_keys_and_pages_resume_after_them() {
    let mut log = photos();
    let first = list(&mut log, "photos/", Some("/"), None, 1);
    assert_eq!(first.common_prefixes, ["photos/2006/"]);
    assert_eq!((first.is_truncated, first.next_start_after.as_deref()), (true, Some("photos/2006/")));
    let second = list(&mut log, "photos/", Some("/"), Some("photos/2006/"), 1);
    assert_eq!(second.common_prefixes, ["photos/2007/"]);
    assert_eq!((second.is_truncated, second.next_start_after), (false, None));

    let page = list(&mut log, "photos/2006/", Some("/"), None, 2);
    assert_eq!(page.common_prefixes, ["photos/2006/February/", "photos/2006/January/"]);
    assert_eq!(page.next_start_after.as_deref(), Some("photos/2006/January/"));
    let rest = list(&mut log, "photos/2006/", Some("/"), page.next_start_after.as_deref(), 2);
    assert_eq!(
        (keys(&rest), rest.common_prefixes.len(), rest.is_truncated),
        (vec!["photos/2006/index.html"], 0, false)
    );
}

#[test]
fn start_after_before_the_prefix_starts_at_the_prefix_and_max_keys_is_checked() {
    let mut log = photos();
    let page = list(&mut log, "photos/2006/F", None, Some("a"), 1);
    assert_eq!(keys(&page), ["photos/2006/February/sample2.jpg"]);
    assert!(page.is_truncated);
    for max_keys in [0, MAX_LIST_KEYS + 1] {
        let command =
            BucketCommand::List { prefix: String::new(), delimiter: None, start_after: None, max_keys: Some(max_keys) };
        let refused = CoreError::invalid("list", InvalidReason::PageLimit { limit: max_keys, max: MAX_LIST_KEYS });
        assert_eq!(log.apply(command), Err(refused));
    }
    let default = BucketCommand::List { prefix: String::new(), delimiter: None, start_after: None, max_keys: None };
    assert!(matches!(log.apply(default), Ok(BucketOutput::Listing(page)) if page.entries.len() == 6));
}

#[test]
fn prefix_successors_bound_every_string_under_the_prefix() {
    use super::list::prefix_successor;
    assert_eq!(prefix_successor("a/").as_deref(), Some("a0"));
    assert_eq!(prefix_successor("a\u{10FFFF}").as_deref(), Some("b"));
    assert_eq!(prefix_successor("\u{D7FF}").as_deref(), Some("\u{E000}"));
    assert_eq!(prefix_successor("\u{10FFFF}"), None);
    assert_eq!(prefix_successor(""), None);
}

/// The listing's items by the definition in `list.rs`: `(position, is_prefix)`.
fn model(live: &BTreeSet<String>, prefix: &str, delimiter: Option<&str>) -> Vec<(String, bool)> {
    let delimiter = delimiter.filter(|d| !d.is_empty());
    let items: BTreeSet<(String, bool)> = live
        .iter()
        .filter(|k| k.starts_with(prefix))
        .map(|k| {
            let rest = &k[prefix.len()..];
            match delimiter.and_then(|d| rest.find(d).map(|at| k[..prefix.len() + at + d.len()].to_owned())) {
                Some(common) => (common, true),
                None => (k.clone(), false),
            }
        })
        .collect();
    items.into_iter().collect()
}

fn items(page: &ListPage) -> Vec<(String, bool)> {
    let mut all: Vec<(String, bool)> = page.entries.iter().map(|(k, _)| (k.clone(), false)).collect();
    all.extend(page.common_prefixes.iter().map(|p| (p.clone(), true)));
    all.sort();
    all
}

fn key() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(vec!["a", "b", "/", "é", "\u{10FFFF}"]), 1..5)
        .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn pages_match_the_model_and_paging_neither_skips_nor_repeats(
        objects in prop::collection::btree_map(key(), any::<bool>(), 0..24),
        prefix in prop::sample::select(vec!["", "a", "a/", "b", "/"]),
        delimiter in prop::sample::select(vec![None, Some("/"), Some("a/"), Some("é"), Some("")]),
        start_after in prop::option::of(key()),
        max_keys in 1u32..5,
    ) {
        let mut log = Log::new();
        for (key, expires) in &objects {
            let command = match put_cmd(key, blob(1, 1), PutCondition::Overwrite) {
                BucketCommand::Put { key, data, content_type, attributes, condition, .. } => {
                    let ttl = expires.then_some(Duration::from_millis(10));
                    BucketCommand::Put { key, data, content_type, attributes, ttl, condition, if_fence_at_least: None, commit_by: None }
                }
                other => other,
            };
            log.apply(command).unwrap();
        }
        log.now += 10;
        let live: BTreeSet<String> = objects.iter().filter(|(_, expires)| !**expires).map(|(k, _)| k.clone()).collect();
        let expected = model(&live, prefix, delimiter);

        // One page from an arbitrary start.
        let after: Vec<(String, bool)> =
            expected.iter().filter(|(p, _)| start_after.as_ref().is_none_or(|s| p > s)).cloned().collect();
        let page = list(&mut log, prefix, delimiter, start_after.as_deref(), max_keys);
        let limit = max_keys as usize;
        prop_assert_eq!(items(&page), after.iter().take(limit).cloned().collect::<Vec<_>>());
        prop_assert_eq!(page.is_truncated, after.len() > limit);
        prop_assert_eq!(page.next_start_after.clone(), page.is_truncated.then(|| after[limit - 1].0.clone()));

        // Every page from the start, concatenated.
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = list(&mut log, prefix, delimiter, cursor.as_deref(), max_keys);
            seen.extend(items(&page));
            match page.next_start_after {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        prop_assert_eq!(seen, expected);
    }

    #[test]
    fn paging_under_concurrent_writes_neither_skips_nor_repeats(
        objects in prop::collection::btree_set(key(), 0..20),
        churn in prop::collection::vec((key(), any::<bool>()), 0..24),
        prefix in prop::sample::select(vec!["", "a", "a/"]),
        delimiter in prop::sample::select(vec![None, Some("/")]),
        max_keys in 1u32..4,
    ) {
        let mut log = Log::new();
        let mut live = objects.clone();
        for key in &objects {
            log.put(key, PutCondition::Overwrite).unwrap();
        }
        let mut states = vec![live.clone()];
        let mut churn = churn.into_iter();
        let (mut seen, mut cursor) = (Vec::new(), None::<String>);
        loop {
            let page = list(&mut log, prefix, delimiter, cursor.as_deref(), max_keys);
            seen.extend(items(&page));
            let Some(next) = page.next_start_after else { break };
            cursor = Some(next);
            for (key, put) in churn.by_ref().take(2) {
                if put {
                    log.put(&key, PutCondition::Overwrite).unwrap();
                    live.insert(key);
                } else {
                    log.delete(&key, DeleteCondition::Any).unwrap();
                    live.remove(&key);
                }
            }
            states.push(live.clone());
        }
        let positions: Vec<&String> = seen.iter().map(|(p, _)| p).collect();
        prop_assert!(positions.windows(2).all(|w| w[0] < w[1]), "repeated or out of order: {:?}", positions);
        let mut throughout: BTreeSet<(String, bool)> = model(&states[0], prefix, delimiter).into_iter().collect();
        for state in &states[1..] {
            let items: BTreeSet<(String, bool)> = model(state, prefix, delimiter).into_iter().collect();
            throughout = throughout.intersection(&items).cloned().collect();
        }
        let seen: BTreeSet<(String, bool)> = seen.into_iter().collect();
        prop_assert!(throughout.is_subset(&seen), "skipped {:?}", throughout.difference(&seen).collect::<Vec<_>>());
    }
}
