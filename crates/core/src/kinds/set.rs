//! Set: a set of byte strings (seed 000 `d.set`).
//!
//! Add and remove answer whether they changed anything, so a caller can use the set as a
//! claim register ("I added it, so it is mine to process") without a racy read first.
//! Members are kept in ascending byte order and listed in pages keyed by the last member
//! seen, exactly like map keys: members added or removed between two pages never make the
//! listing skip or repeat a member that was present throughout, and each page costs a
//! range lookup rather than a scan from the start.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::ctx::ApplyCtx;
use crate::error::CoreError;
use crate::kinds::map::{check_page_limit, collect_page, count, page_start};
use crate::machine::{Applied, StateMachine, answered};

/// Operations on a Set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SetCommand {
    /// Add a member. Answers [`SetOutput::Bool`]: `true` if it was not already present.
    Add(Vec<u8>),
    /// Remove a member. Answers [`SetOutput::Bool`]: `true` if it was present.
    Remove(Vec<u8>),
    /// Whether the item is a member. Answers [`SetOutput::Bool`].
    Contains(Vec<u8>),
    /// The number of members. Answers [`SetOutput::Count`].
    Size,
    /// One page of members in ascending byte order. Answers [`SetOutput::Members`].
    Members {
        /// Start strictly after this member (`None`: from the first member).
        after: Option<Vec<u8>>,
        /// At most this many members, 1..=[`MAX_PAGE_LIMIT`](crate::kinds::map::MAX_PAGE_LIMIT).
        limit: u32,
    },
    /// Remove every member. Answers [`SetOutput::Count`] with how many were removed.
    Clear,
}

impl SetCommand {
    /// Total bytes of user data carried (items), checked against the group's size limit.
    pub fn payload_len(&self) -> usize {
        match self {
            SetCommand::Add(item) | SetCommand::Remove(item) | SetCommand::Contains(item) => item.len(),
            SetCommand::Members { after, .. } => after.as_ref().map_or(0, Vec::len),
            SetCommand::Size | SetCommand::Clear => 0,
        }
    }
}

/// Results of [`SetCommand`]s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SetOutput {
    /// A yes/no answer.
    Bool(bool),
    /// A number of members.
    Count(u64),
    /// A page of members.
    Members {
        /// The members, in ascending byte order.
        members: Vec<Vec<u8>>,
        /// Pass as `after` to get the next page; `None` when the listing is complete.
        next: Option<Vec<u8>>,
    },
}

/// A Set's replicated state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Set {
    members: BTreeSet<Vec<u8>>,
}

impl Set {
    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether the set has no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    fn page(&self, after: Option<Vec<u8>>, limit: u32) -> Result<SetOutput, CoreError> {
        let limit = check_page_limit("members", limit)?;
        let range = self.members.range(page_start(after)).cloned();
        let (members, next) = collect_page(range, limit, Clone::clone);
        Ok(SetOutput::Members { members, next })
    }
}

impl StateMachine for Set {
    type Command = SetCommand;
    type Output = SetOutput;

    fn read(&self, command: &SetCommand, _ctx: &ApplyCtx) -> Option<Result<SetOutput, CoreError>> {
        match command {
            SetCommand::Contains(item) => Some(Ok(SetOutput::Bool(self.members.contains(item)))),
            SetCommand::Size => Some(Ok(SetOutput::Count(count(self.members.len())))),
            SetCommand::Members { after, limit } => Some(self.page(after.clone(), *limit)),
            SetCommand::Add(_) | SetCommand::Remove(_) | SetCommand::Clear => None,
        }
    }

    fn apply(&mut self, command: SetCommand, ctx: &ApplyCtx) -> Applied<SetOutput> {
        match command {
            SetCommand::Add(item) => Applied::ok(SetOutput::Bool(self.members.insert(item))),
            SetCommand::Remove(item) => Applied::ok(SetOutput::Bool(self.members.remove(&item))),
            read @ (SetCommand::Contains(_) | SetCommand::Size | SetCommand::Members { .. }) => {
                answered(self.read(&read, ctx))
            }
            SetCommand::Clear => {
                let removed = count(self.members.len());
                self.members.clear();
                Applied::ok(SetOutput::Count(removed))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::InvalidReason;
    use crate::kinds::map::MAX_PAGE_LIMIT;
    use crate::machine::Reply;
    use crate::testing::{call, internal};

    fn b(s: &str) -> Vec<u8> {
        s.as_bytes().to_vec()
    }

    fn run(s: &mut Set, command: SetCommand) -> Applied<SetOutput> {
        s.apply(command, &call(1, 0, 1, 1))
    }

    fn page(members: &[&str], next: Option<&str>) -> Applied<SetOutput> {
        Applied::ok(SetOutput::Members { members: members.iter().map(|m| b(m)).collect(), next: next.map(b) })
    }

    fn members(s: &mut Set, after: Option<&str>, limit: u32) -> Applied<SetOutput> {
        run(s, SetCommand::Members { after: after.map(b), limit })
    }

    /// A set holding `a`..`e`.
    fn abcde() -> Set {
        let mut s = Set::default();
        for item in ["d", "b", "e", "a", "c"] {
            run(&mut s, SetCommand::Add(b(item)));
        }
        s
    }

    #[test]
    fn add_remove_contains_answer_whether_anything_changed() {
        let mut s = Set::default();
        let yes = Applied::ok(SetOutput::Bool(true));
        let no = Applied::ok(SetOutput::Bool(false));
        assert_eq!(run(&mut s, SetCommand::Contains(b("x"))), no);
        assert_eq!(run(&mut s, SetCommand::Add(b("x"))), yes);
        assert_eq!(run(&mut s, SetCommand::Add(b("x"))), no);
        assert_eq!(run(&mut s, SetCommand::Contains(b("x"))), yes);
        assert_eq!(run(&mut s, SetCommand::Add(vec![])), yes);
        assert_eq!(run(&mut s, SetCommand::Contains(vec![])), yes);
        assert_eq!(run(&mut s, SetCommand::Remove(b("x"))), yes);
        assert_eq!(run(&mut s, SetCommand::Remove(b("x"))), no);
        assert_eq!(run(&mut s, SetCommand::Contains(b("x"))), no);
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn size_and_clear_count_members() {
        let mut s = abcde();
        assert_eq!(run(&mut s, SetCommand::Size), Applied::ok(SetOutput::Count(5)));
        assert_eq!(run(&mut s, SetCommand::Clear), Applied::ok(SetOutput::Count(5)));
        assert_eq!(run(&mut s, SetCommand::Size), Applied::ok(SetOutput::Count(0)));
        assert_eq!(run(&mut s, SetCommand::Clear), Applied::ok(SetOutput::Count(0)));
        assert!(s.is_empty());
    }

    #[test]
    fn members_are_paged_in_byte_order_with_a_member_cursor() {
        let mut s = abcde();
        assert_eq!(members(&mut s, None, 2), page(&["a", "b"], Some("b")));
        assert_eq!(members(&mut s, Some("b"), 2), page(&["c", "d"], Some("d")));
        assert_eq!(members(&mut s, Some("d"), 2), page(&["e"], None));
        assert_eq!(members(&mut s, Some("c"), 2), page(&["d", "e"], None));
        assert_eq!(members(&mut s, None, MAX_PAGE_LIMIT), page(&["a", "b", "c", "d", "e"], None));
        assert_eq!(members(&mut s, Some("bb"), 1), page(&["c"], Some("c")));
        assert_eq!(members(&mut s, Some("e"), 1), page(&[], None));
        assert_eq!(members(&mut Set::default(), None, 1), page(&[], None));
    }

    #[test]
    fn paging_survives_changes_between_pages() {
        let mut s = abcde();
        assert_eq!(members(&mut s, None, 2), page(&["a", "b"], Some("b")));
        run(&mut s, SetCommand::Remove(b("b")));
        run(&mut s, SetCommand::Add(b("aa")));
        run(&mut s, SetCommand::Add(b("ba")));
        assert_eq!(members(&mut s, Some("b"), 3), page(&["ba", "c", "d"], Some("d")));
        assert_eq!(members(&mut s, Some("d"), 3), page(&["e"], None));
    }

    #[test]
    fn walking_all_pages_lists_every_member_once() {
        let mut s = Set::default();
        for i in 0u8..17 {
            run(&mut s, SetCommand::Add(vec![i.wrapping_mul(71)]));
        }
        let sorted: Vec<Vec<u8>> = {
            let mut all: Vec<Vec<u8>> = (0u8..17).map(|i| vec![i.wrapping_mul(71)]).collect();
            all.sort();
            all
        };
        for limit in 1..=18u32 {
            let mut seen = Vec::new();
            let mut after = None;
            loop {
                let Reply::Ready(Ok(SetOutput::Members { members, next })) =
                    run(&mut s, SetCommand::Members { after: after.clone(), limit }).response
                else {
                    panic!("expected a page of members");
                };
                seen.extend(members);
                match next {
                    Some(cursor) => after = Some(cursor),
                    None => break,
                }
            }
            assert_eq!(seen, sorted, "limit {limit}");
        }
    }

    #[test]
    fn page_limits_outside_the_accepted_range_are_refused() {
        let mut s = abcde();
        for limit in [0, MAX_PAGE_LIMIT + 1] {
            assert_eq!(
                members(&mut s, None, limit),
                Applied::err(CoreError::invalid("members", InvalidReason::PageLimit { limit, max: 10_000 }))
            );
        }
    }

    #[test]
    fn needs_no_session() {
        let mut s = Set::default();
        assert_eq!(s.apply(SetCommand::Add(b("x")), &internal(1, 0)), Applied::ok(SetOutput::Bool(true)));
    }

    #[test]
    fn payload_len_counts_item_bytes() {
        assert_eq!(SetCommand::Add(b("abc")).payload_len(), 3);
        assert_eq!(SetCommand::Remove(b("ab")).payload_len(), 2);
        assert_eq!(SetCommand::Contains(b("a")).payload_len(), 1);
        assert_eq!(SetCommand::Members { after: Some(b("abcd")), limit: 1 }.payload_len(), 4);
        assert_eq!(SetCommand::Members { after: None, limit: 1 }.payload_len(), 0);
        assert_eq!(SetCommand::Size.payload_len(), 0);
        assert_eq!(SetCommand::Clear.payload_len(), 0);
    }

    #[test]
    fn snapshot_round_trips() {
        let s = abcde();
        let restored = Set::restore(&s.snapshot().unwrap()).unwrap();
        assert_eq!(restored, s);
    }
}
