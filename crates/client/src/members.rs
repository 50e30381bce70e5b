//! The members a transport knows, by index, id and address.
//!
//! A client starts from the addresses it was given, but the cluster is not fixed: members
//! join, the leader of a group may be a member the client was never told about, and a
//! sharded partition's owner can be any member. So the book grows: a "not the leader,
//! try member 4 at host:port" hint, or the member list of `ClusterService.Status`, adds
//! the member it names. Indexes are append-only, so an index the retry loop holds always
//! names the same member; ids are filled in as they are learned. The book is bounded
//! ([`MAX_MEMBERS`]), so a confused or hostile server cannot make a client open an unbounded
//! number of connections.
//!
//! The book is generic over what it keeps per member (a gRPC channel in the transport, a
//! plain value in the tests), and does no I/O itself.

/// The most members a client learns of; hints beyond it are ignored (the client still
/// tries the members it has).
pub(crate) const MAX_MEMBERS: usize = 256;

/// One known member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry<C> {
    /// Its member id, once known.
    pub(crate) id: Option<u64>,
    /// Its `host:port`, normalized.
    pub(crate) address: String,
    /// What the transport keeps for it (its channel).
    pub(crate) link: C,
}

/// Members by index, learned as the client goes.
#[derive(Clone, Debug, Default)]
pub(crate) struct MemberBook<C> {
    entries: Vec<Entry<C>>,
}

/// An address as members are compared: `host:port`, without an `http://` prefix or a
/// trailing `/`.
pub(crate) fn normalize(address: &str) -> &str {
    let address = address.trim();
    address.strip_prefix("http://").unwrap_or(address).trim_end_matches('/')
}

impl<C: Clone> MemberBook<C> {
    /// A book of the members given at connect, in order.
    pub(crate) fn new(given: Vec<(String, C)>) -> Self {
        let entries = given.into_iter().map(|(address, link)| Entry { id: None, address, link }).collect();
        MemberBook { entries }
    }

    /// How many members are known.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Member `index`, if there is one.
    pub(crate) fn get(&self, index: usize) -> Option<&Entry<C>> {
        self.entries.get(index)
    }

    /// The index of the member a hint names, learning it if it is new: by address first
    /// (normalized), then by id. A new address is added with the link `connect` makes for
    /// it (`None`: not a usable address, nothing is added). An id given with a known address
    /// is recorded for that member. `None` when the hint names nobody usable.
    pub(crate) fn resolve(
        &mut self,
        id: Option<u64>,
        address: Option<&str>,
        connect: impl FnOnce(&str) -> Option<(String, C)>,
    ) -> Option<usize> {
        let address = address.map(normalize).filter(|a| !a.is_empty());
        if let Some(address) = address
            && let Some(index) = self.entries.iter().position(|e| e.address == address)
        {
            if id.is_some() {
                self.entries[index].id = id;
            }
            return Some(index);
        }
        if let Some(id) = id
            && let Some(index) = self.entries.iter().position(|e| e.id == Some(id))
        {
            // Known by id at another address: keep the address the client has. A member's
            // advertised address may not be reachable from here (behind a port forward or
            // a NAT) while the one the client was given is, so a hint never replaces it.
            return Some(index);
        }
        let address = address?;
        if self.entries.len() >= MAX_MEMBERS {
            return None;
        }
        let (normalized, link) = connect(address)?;
        if let Some(index) = self.entries.iter().position(|e| e.address == normalized) {
            return Some(index);
        }
        self.entries.push(Entry { id, address: normalized, link });
        Some(self.entries.len() - 1)
    }

    /// The index of the member whose id is `id`, if the book knows it.
    pub(crate) fn index_of(&self, id: u64) -> Option<usize> {
        self.entries.iter().position(|e| e.id == Some(id))
    }

    /// The members as (id, address), in index order.
    pub(crate) fn members(&self) -> Vec<(Option<u64>, String)> {
        self.entries.iter().map(|e| (e.id, e.address.clone())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connect(address: &str) -> Option<(String, String)> {
        let normalized = normalize(address).to_owned();
        normalized.contains(':').then(|| (normalized.clone(), format!("link to {normalized}")))
    }

    fn book() -> MemberBook<String> {
        MemberBook::new(vec![("a:1".into(), "link to a:1".into()), ("b:2".into(), "link to b:2".into())])
    }

    #[test]
    fn a_known_address_resolves_to_its_index_and_learns_its_id() {
        let mut book = book();
        assert_eq!(book.resolve(Some(7), Some("http://b:2/"), connect), Some(1));
        assert_eq!(book.members(), vec![(None, "a:1".into()), (Some(7), "b:2".into())]);
        // Later hints by id alone find it.
        assert_eq!(book.resolve(Some(7), None, connect), Some(1));
        assert_eq!(book.len(), 2);
    }

    #[test]
    fn a_new_member_is_appended_and_indexes_never_move() {
        let mut book = book();
        assert_eq!(book.resolve(Some(3), Some("c:3"), connect), Some(2));
        assert_eq!(book.resolve(None, Some("c:3"), connect), Some(2));
        assert_eq!(book.get(2).map(|e| e.link.as_str()), Some("link to c:3"));
        assert_eq!(book.get(0).map(|e| e.address.as_str()), Some("a:1"));
        assert_eq!(book.len(), 3);
    }

    #[test]
    fn a_member_known_by_id_keeps_the_address_the_client_has() {
        let mut book = book();
        book.resolve(Some(1), Some("a:1"), connect);
        // The member advertises another address (say, one behind a NAT): the hint finds it
        // by id, and the address that works from here stays.
        assert_eq!(book.resolve(Some(1), Some("10.0.0.1:7101"), connect), Some(0));
        assert_eq!(book.members()[0], (Some(1), "a:1".into()));
        assert_eq!(book.len(), 2);
    }

    #[test]
    fn hints_that_name_nobody_usable_add_nothing() {
        let mut book = book();
        assert_eq!(book.resolve(None, None, connect), None);
        assert_eq!(book.resolve(Some(9), None, connect), None);
        assert_eq!(book.resolve(None, Some(""), connect), None);
        assert_eq!(book.resolve(None, Some("no-port"), connect), None);
        assert_eq!(book.len(), 2);
    }

    #[test]
    fn the_book_is_bounded() {
        let mut book = book();
        for port in 0..(MAX_MEMBERS + 10) {
            book.resolve(None, Some(&format!("h:{port}")), connect);
        }
        assert_eq!(book.len(), MAX_MEMBERS);
        // Known members still resolve when it is full.
        assert_eq!(book.resolve(None, Some("a:1"), connect), Some(0));
    }
}
