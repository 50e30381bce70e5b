//! Listing a bucket by prefix, with a delimiter and pages (S3 ListObjectsV2 semantics).
//!
//! A listing is a sequence of *items* in string order: an entry is at its key, a common
//! prefix (a key's text up to and including the first delimiter after the listing's prefix)
//! is at the prefix itself, and stands for every key under it. A page holds the first
//! `max_keys` items positioned strictly after `start_after`, and a truncated page's
//! `next_start_after` is its last item's position. Because positions are unique and every
//! key under a common prefix sorts at or after it, resuming after a position neither skips
//! nor repeats an item present throughout, with or without a delimiter.
//!
//! Each item costs one ordered lookup: the keys under a common prefix are jumped over (to the
//! smallest string after all of them), not scanned. Expired objects are left out, as every
//! read at `now` does.

use std::collections::BTreeMap;
use std::ops::Bound;

use super::command::ListPage;
use super::meta::ObjectMeta;
use crate::types::Timestamp;

/// One item of a listing.
enum Item {
    Entry(String, ObjectMeta),
    Prefix(String),
}

impl Item {
    fn position(&self) -> &str {
        match self {
            Item::Entry(key, _) | Item::Prefix(key) => key,
        }
    }
}

/// The arguments of a listing, checked.
pub(crate) struct ListArgs<'a> {
    pub(crate) prefix: &'a str,
    /// `None` when there is no roll-up (an empty delimiter is none).
    pub(crate) delimiter: Option<&'a str>,
    pub(crate) start_after: Option<&'a str>,
    pub(crate) max_keys: usize,
}

/// The common prefix `key` rolls up into, if any.
fn common_prefix<'k>(key: &'k str, prefix: &str, delimiter: Option<&str>) -> Option<&'k str> {
    let delimiter = delimiter?;
    let rest = key.get(prefix.len()..)?;
    let at = rest.find(delimiter)?;
    key.get(..prefix.len().saturating_add(at).saturating_add(delimiter.len()))
}

/// The next Unicode scalar value after `c`, skipping the surrogate gap.
fn next_char(c: char) -> Option<char> {
    let next = u32::from(c).checked_add(1)?;
    char::from_u32(if next == 0xD800 { 0xE000 } else { next })
}

/// The smallest string greater than every string that starts with `prefix`; `None` if no
/// string is (the prefix is all `char::MAX`).
pub(crate) fn prefix_successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = next_char(last) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// One page of the live objects in `objects` at `now`.
pub(crate) fn list(objects: &BTreeMap<String, ObjectMeta>, now: Timestamp, args: &ListArgs<'_>) -> ListPage {
    let mut lower: Bound<String> = match args.start_after {
        Some(after) if after >= args.prefix => Bound::Excluded(after.to_owned()),
        _ => Bound::Included(args.prefix.to_owned()),
    };
    let mut items: Vec<Item> = Vec::new();
    while items.len() <= args.max_keys {
        let range = (lower.as_ref().map(String::as_str), Bound::Unbounded);
        let Some((key, meta)) = objects.range::<str, _>(range).next() else { break };
        if !key.starts_with(args.prefix) {
            break;
        }
        if meta.is_expired(now) {
            lower = Bound::Excluded(key.clone());
            continue;
        }
        match common_prefix(key, args.prefix, args.delimiter) {
            Some(common) => {
                let reported = args.start_after.is_some_and(|after| common <= after);
                if !reported {
                    items.push(Item::Prefix(common.to_owned()));
                }
                match prefix_successor(common) {
                    Some(next) => lower = Bound::Included(next),
                    None => break,
                }
            }
            None => {
                items.push(Item::Entry(key.clone(), meta.clone()));
                lower = Bound::Excluded(key.clone());
            }
        }
    }
    let is_truncated = items.len() > args.max_keys;
    items.truncate(args.max_keys);
    let next_start_after = if is_truncated { items.last().map(|item| item.position().to_owned()) } else { None };
    let mut page = ListPage { next_start_after, is_truncated, ..ListPage::default() };
    for item in items {
        match item {
            Item::Entry(key, meta) => page.entries.push((key, meta)),
            Item::Prefix(common) => page.common_prefixes.push(common),
        }
    }
    page
}
