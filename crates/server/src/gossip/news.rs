//! Member news: the custom broadcast that tells the cluster a member is Joining, Up or
//! Leaving.
//!
//! foca reports only MemberUp and MemberDown, and its member states are Alive, Suspect and
//! Down: it has no Joining and no Leaving. A member that departs gracefully must say so
//! before it goes, or the others cannot tell a handover from a crash. So every member
//! disseminates its own news through foca's custom broadcasts, piggybacked on SWIM traffic
//! and relayed [`foca::Config::max_transmissions`] times by each member that learns it.
//!
//! Each item is `{ member, generation, state, version }`: the member's life (generation)
//! and a counter the member bumps on each change, so (generation, version) orders a
//! member's news and a newer item replaces an older one in foca's broadcast queue
//! ([`NewsKey`]'s [`Invalidates`]). A relayed item that is not newer than what this
//! member knows is not relayed again, which is what stops the dissemination.
//!
//! A broadcast is sent a bounded number of times, so a member that joins later would never
//! hear the news of members already Up; the core re-adds its own current news whenever
//! foca reports a new member, and every `announce_every` (5 s) in case an item was lost
//! (see `core.rs`), and members that already have it do not relay it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use foca::{BroadcastHandler, Invalidates};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::identity::GossipId;

/// The most members whose news a node keeps: a bound against a flood of made-up member
/// ids (each datagram could otherwise add entries forever).
pub const MAX_NEWS_MEMBERS: usize = 4096;

/// What a member says about itself.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub enum NewsState {
    /// Started and announcing; not yet part of the cluster.
    Joining,
    /// Part of the cluster (foca has heard from another member).
    Up,
    /// Departing gracefully: about to leave the cluster and stop.
    Leaving,
}

/// One item of member news, as it travels.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct MemberNews {
    /// The member the news is about (always the sender of the original item).
    pub member: u64,
    /// The member's generation (see [`GossipId::generation`]).
    pub generation: u64,
    /// What the member says.
    pub state: NewsState,
    /// The member's counter of changes in this generation.
    pub version: u64,
}

impl MemberNews {
    fn key(&self) -> NewsKey {
        NewsKey { member: self.member, generation: self.generation, version: self.version }
    }
}

/// What foca keeps in its broadcast queue to tell items apart.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct NewsKey {
    member: u64,
    generation: u64,
    version: u64,
}

impl Invalidates for NewsKey {
    /// A member's newer (or the same, re-added) news replaces what is queued about it.
    fn invalidates(&self, other: &Self) -> bool {
        self.member == other.member && (self.generation, self.version) >= (other.generation, other.version)
    }
}

/// Why an item of news was refused.
#[derive(Debug, Error)]
pub enum NewsError {
    /// The bytes are not a [`MemberNews`].
    #[error("malformed member news: {0}")]
    Decode(#[from] postcard::Error),
    /// News about a new member when [`MAX_NEWS_MEMBERS`] are known already.
    #[error("member news about member {0} refused: {MAX_NEWS_MEMBERS} members are known already")]
    Full(u64),
}

/// The latest news of every member, shared between the handler (owned by foca) and the
/// core that reads it.
#[derive(Clone, Default, Debug)]
pub(crate) struct NewsBook(Arc<Mutex<BTreeMap<u64, MemberNews>>>);

impl NewsBook {
    /// The latest news of `member`.
    pub(crate) fn get(&self, member: u64) -> Option<MemberNews> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).get(&member).copied()
    }

    /// Records `news` if it is newer than what is known of its member; whether it was.
    fn record(&self, news: MemberNews, force: bool) -> Result<bool, NewsError> {
        let mut book = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let newer = match book.get(&news.member) {
            Some(known) => force || (news.generation, news.version) > (known.generation, known.version),
            None if book.len() >= MAX_NEWS_MEMBERS => return Err(NewsError::Full(news.member)),
            None => true,
        };
        if newer {
            book.insert(news.member, news);
        }
        Ok(newer)
    }
}

/// foca's [`BroadcastHandler`] for member news.
pub(crate) struct NewsHandler {
    book: NewsBook,
}

impl NewsHandler {
    pub(crate) fn new(book: NewsBook) -> Self {
        NewsHandler { book }
    }
}

impl BroadcastHandler<GossipId> for NewsHandler {
    type Key = NewsKey;
    type Error = NewsError;

    fn receive_item(&mut self, data: &[u8], sender: Option<&GossipId>) -> Result<Option<NewsKey>, NewsError> {
        let news: MemberNews = postcard::from_bytes(data)?;
        // Our own news (`sender` is None: added locally) is always disseminated, also when
        // re-added unchanged for a member that joined since.
        let local = sender.is_none();
        Ok(self.book.record(news, local)?.then(|| news.key()))
    }
}

/// The bytes of `news` for [`foca::Foca::add_broadcast`].
pub(crate) fn encode(news: &MemberNews) -> Result<Vec<u8>, postcard::Error> {
    postcard::to_allocvec(news)
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;

    fn news(member: u64, generation: u64, version: u64, state: NewsState) -> MemberNews {
        MemberNews { member, generation, state, version }
    }

    fn sender() -> GossipId {
        GossipId::seed(SocketAddr::from(([127, 0, 0, 1], 1)))
    }

    #[test]
    fn only_newer_news_is_relayed() {
        let book = NewsBook::default();
        let mut handler = NewsHandler::new(book.clone());
        let up = encode(&news(1, 1, 2, NewsState::Up)).unwrap();
        let joining = encode(&news(1, 1, 1, NewsState::Joining)).unwrap();
        let s = sender();
        assert!(handler.receive_item(&up, Some(&s)).unwrap().is_some());
        assert!(handler.receive_item(&up, Some(&s)).unwrap().is_none());
        assert!(handler.receive_item(&joining, Some(&s)).unwrap().is_none());
        assert_eq!(book.get(1).unwrap().state, NewsState::Up);
        // A new generation supersedes whatever version the old one reached.
        let restarted = encode(&news(1, 2, 0, NewsState::Joining)).unwrap();
        assert!(handler.receive_item(&restarted, Some(&s)).unwrap().is_some());
        assert_eq!(book.get(1).unwrap().generation, 2);
        // Our own news is disseminated again when re-added.
        assert!(handler.receive_item(&restarted, None).unwrap().is_some());
    }

    #[test]
    fn keys_invalidate_older_news_of_the_same_member() {
        let old = news(1, 1, 1, NewsState::Up).key();
        let new = news(1, 1, 2, NewsState::Leaving).key();
        let other = news(2, 9, 9, NewsState::Up).key();
        assert!(new.invalidates(&old));
        assert!(!old.invalidates(&new));
        assert!(!other.invalidates(&old));
    }

    #[test]
    fn garbage_is_an_error_and_the_book_is_bounded() {
        let book = NewsBook::default();
        let mut handler = NewsHandler::new(book.clone());
        assert!(handler.receive_item(&[0xff; 3], Some(&sender())).is_err());
        for member in 0..MAX_NEWS_MEMBERS as u64 {
            let item = encode(&news(member, 1, 1, NewsState::Up)).unwrap();
            handler.receive_item(&item, Some(&sender())).unwrap();
        }
        let item = encode(&news(u64::MAX, 1, 1, NewsState::Up)).unwrap();
        assert!(matches!(handler.receive_item(&item, Some(&sender())), Err(NewsError::Full(_))));
    }
}
