//! The blob side of a member: its local [`BlobStore`] and the copies on the other members.
//!
//! [`Blobs::replicate`] stores a part's bytes here and on the group's other voters in
//! parallel, and returns once a majority of every voter configuration has them
//! ([`DurableTally`]); the remaining copies go on in the background. [`Blobs::read`] serves
//! from the local store and, when the blob is missing or damaged here, from a peer, checking
//! the peer's bytes against the hash and keeping a copy (read repair). [`Blobs::maintain`]
//! runs one background pass of [`maintenance::plan`](super::maintenance::plan).

use std::collections::BTreeSet;
use std::ops::Range;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use coterie_storage::blob::{BlobError, BlobHash, BlobStore};
use futures_util::future::BoxFuture;
use thiserror::Error;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::maintenance;
use super::tally::{DurableTally, Verdict};
use super::wire::BlobWire;

/// Why blob bytes could not be stored or read.
#[derive(Debug, Error)]
pub enum BlobsError {
    /// Too few members stored the bytes before the deadline; the object was not written.
    #[error(
        "the object's bytes reached {got} of the {needed} members a write needs ({failures}); nothing was written: \
         retry once a majority of the group's members is up"
    )]
    NotDurable {
        /// Copies a majority needs.
        needed: usize,
        /// Copies stored.
        got: usize,
        /// What the members that failed said.
        failures: String,
    },
    /// No member could give the blob's bytes.
    #[error(
        "no member could give blob {hash} ({reason}); the object's bytes are unavailable until a member that \
         stores them is up"
    )]
    Unavailable {
        /// The blob.
        hash: BlobHash,
        /// What went wrong locally and on the peers.
        reason: String,
    },
    /// The local store failed.
    #[error(transparent)]
    Store(#[from] BlobError),
    /// A blocking task of the local store could not run.
    #[error("the blob store's worker failed: {0}")]
    Worker(String),
}

/// What one maintenance pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Maintained {
    /// Blobs fetched from peers.
    pub fetched: usize,
    /// Referenced blobs no peer could give.
    pub unavailable: usize,
    /// Unreferenced blobs deleted.
    pub deleted: usize,
}

/// A member's blobs: its store, and the wire to the others.
#[derive(Clone)]
pub struct Blobs {
    me: u64,
    store: Arc<dyn BlobStore>,
    wire: Arc<dyn BlobWire>,
    /// Held by every write to the store and by each collection of a blob, so a put that
    /// refreshes a blob cannot interleave between the collector's age check and its delete.
    writes: Arc<Mutex<()>>,
}

impl Blobs {
    /// Member `me`'s blobs in `store`, reaching the others over `wire`.
    pub fn new(me: u64, store: Arc<dyn BlobStore>, wire: Arc<dyn BlobWire>) -> Self {
        Blobs { me, store, wire, writes: Arc::default() }
    }

    /// Stores `data`, which a peer says hashes to `hash` (the `BlobService` of a node).
    pub async fn accept(&self, hash: BlobHash, data: Arc<[u8]>) -> Result<(), BlobsError> {
        self.write(move |store| store.put_expecting(hash, &data)).await
    }

    /// Runs `work` on the store under the write gate.
    async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn BlobStore) -> Result<T, BlobError> + Send + 'static,
    ) -> Result<T, BlobsError> {
        let writes = Arc::clone(&self.writes);
        self.blocking(move |store| {
            let _gate = writes.lock().unwrap_or_else(PoisonError::into_inner);
            work(store)
        })
        .await
    }

    /// Starts `send` to every member `tally` targets but this one; their answers arrive on
    /// the returned channel (for [`settle`]), and the sends go on after the caller stops
    /// waiting.
    fn fan_out(
        &self,
        tally: &DurableTally,
        send: impl Fn(u64) -> BoxFuture<'static, Result<(), String>>,
    ) -> mpsc::UnboundedReceiver<(u64, Result<(), String>)> {
        let (tx, rx) = mpsc::unbounded_channel();
        for member in tally.targets().into_iter().filter(|member| *member != self.me) {
            let (tx, sent) = (tx.clone(), send(member));
            tokio::spawn(async move {
                let _ = tx.send((member, sent.await));
            });
        }
        rx
    }

    /// Refreshes each of `hashes` in the local store, under the write gate (the
    /// `BlobService` of a node): whether each is stored here.
    pub async fn touch_here(&self, hashes: Vec<BlobHash>) -> Result<Vec<bool>, BlobsError> {
        self.write(move |store| hashes.iter().map(|hash| store.touch(hash)).collect()).await
    }

    /// The local store.
    pub fn store(&self) -> &Arc<dyn BlobStore> {
        &self.store
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn BlobStore) -> Result<T, BlobError> + Send + 'static,
    ) -> Result<T, BlobsError> {
        let store = Arc::clone(&self.store);
        let joined = tokio::task::spawn_blocking(move || work(store.as_ref())).await;
        joined.map_err(|err| BlobsError::Worker(err.to_string()))?.map_err(BlobsError::from)
    }

    /// Stores `data` on a majority of every configuration in `configs` before `deadline`, and
    /// returns its hash. The copies to the other members keep going after this returns.
    pub async fn replicate(
        &self,
        data: Arc<[u8]>,
        configs: Vec<BTreeSet<u64>>,
        deadline: Instant,
    ) -> Result<BlobHash, BlobsError> {
        let hash = BlobHash::of(&data);
        let mut tally = DurableTally::new(configs);
        let timeout = deadline.saturating_duration_since(Instant::now());
        let rx = self.fan_out(&tally, |member| self.wire.put(member, hash, Arc::clone(&data), timeout));
        // The local copy, whether or not this member is a voter: it is the one reads here use.
        let local = Arc::clone(&data);
        let stored_here = self.write(move |store| store.put_expecting(hash, &local)).await;
        match stored_here {
            Ok(()) => tally.stored(self.me),
            Err(err) => tally.failed(self.me, err.to_string()),
        }
        settle(tally, rx, deadline).await.map(|()| hash)
    }

    /// Refreshes the stored time of every blob of `hashes` on a majority of every
    /// configuration in `configs` before `deadline` (see [`BlobStore::touch`]): a member counts
    /// only if it stores them all. Before a commit references blobs stored long ago (the parts
    /// of a multipart upload), so the collector keeps them for another grace period.
    pub async fn touch(
        &self,
        hashes: Vec<BlobHash>,
        configs: Vec<BTreeSet<u64>>,
        deadline: Instant,
    ) -> Result<(), BlobsError> {
        let mut tally = DurableTally::new(configs);
        let timeout = deadline.saturating_duration_since(Instant::now());
        let rx = self.fan_out(&tally, |member| {
            let sent = self.wire.touch(member, hashes.clone(), timeout);
            Box::pin(async move {
                sent.await.and_then(|stored| match stored.iter().filter(|stored| !**stored).count() {
                    0 => Ok(()),
                    missing => Err(format!("lacks {missing} of the {} blobs", stored.len())),
                })
            })
        });
        let touched_here = self
            .write(move |store| {
                let mut missing = 0usize;
                for hash in &hashes {
                    if !store.touch(hash)? {
                        missing += 1;
                    }
                }
                Ok(missing)
            })
            .await;
        match touched_here {
            Ok(0) => tally.stored(self.me),
            Ok(missing) => tally.failed(self.me, format!("lacks {missing} of the blobs")),
            Err(err) => tally.failed(self.me, err.to_string()),
        }
        settle(tally, rx, deadline).await
    }

    /// Bytes `range` of blob `hash` (`None`: all of it), from the local store or, when it is
    /// missing or damaged here, from one of `peers` (each tried in turn, within `timeout`).
    pub async fn read(
        &self,
        hash: BlobHash,
        range: Option<Range<u64>>,
        peers: &BTreeSet<u64>,
        timeout: Duration,
    ) -> Result<Vec<u8>, BlobsError> {
        let local = match range.clone() {
            Some(range) => self.blocking(move |store| store.read(&hash, range)).await,
            None => self.blocking(move |store| store.get(&hash)).await,
        };
        let local_reason = match local {
            Ok(bytes) => return Ok(bytes),
            Err(BlobsError::Store(BlobError::OutOfRange { hash, start, end, len })) => {
                return Err(BlobsError::Store(BlobError::OutOfRange { hash, start, end, len }));
            }
            Err(err) => err.to_string(),
        };
        let whole = self
            .fetch(hash, peers, timeout)
            .await
            .map_err(|reason| BlobsError::Unavailable { hash, reason: format!("here: {local_reason}; {reason}") })?;
        match range {
            None => Ok(whole),
            Some(range) => {
                let len = whole.len() as u64;
                let slice = usize::try_from(range.start)
                    .ok()
                    .zip(usize::try_from(range.end).ok())
                    .and_then(|(start, end)| whole.get(start..end));
                slice.map(<[u8]>::to_vec).ok_or(BlobsError::Store(BlobError::OutOfRange {
                    hash,
                    start: range.start,
                    end: range.end,
                    len,
                }))
            }
        }
    }

    /// The whole blob from the first peer that has it intact, kept in the local store too.
    async fn fetch(&self, hash: BlobHash, peers: &BTreeSet<u64>, timeout: Duration) -> Result<Vec<u8>, String> {
        let mut reasons = Vec::new();
        for &peer in peers.iter().filter(|peer| **peer != self.me) {
            match self.wire.get(peer, hash, timeout).await {
                Ok(Some(bytes)) if BlobHash::of(&bytes) == hash => {
                    let copy: Arc<[u8]> = Arc::from(bytes.as_slice());
                    // A failed repair only means the next read fetches again.
                    let _ = self.write(move |store| store.replace(hash, &copy)).await;
                    return Ok(bytes);
                }
                Ok(Some(_)) => reasons.push((peer, "its copy is corrupt".to_owned())),
                Ok(None) => reasons.push((peer, "does not store it".to_owned())),
                Err(reason) => reasons.push((peer, reason)),
            }
        }
        if reasons.is_empty() {
            return Err("no other member to ask".to_owned());
        }
        Err(describe(reasons.into_iter()))
    }

    /// One maintenance pass: fetches the `referenced` blobs missing here from `peers`, and
    /// deletes unreferenced blobs stored at least `grace` ago.
    pub async fn maintain(
        &self,
        referenced: BTreeSet<BlobHash>,
        peers: &BTreeSet<u64>,
        grace: Duration,
        timeout: Duration,
    ) -> Result<Maintained, BlobsError> {
        let stored = self.blocking(|store| store.list()).await?;
        let plan = maintenance::plan(&referenced, &stored, SystemTime::now(), grace);
        let mut done = Maintained::default();
        for hash in plan.fetch {
            match self.fetch(hash, peers, timeout).await {
                Ok(_) => done.fetched += 1,
                Err(_) => done.unavailable += 1,
            }
        }
        for hash in plan.delete {
            // Checked again under the gate: a put may have refreshed it since the listing.
            let collected = self
                .write(move |store| match store.info(&hash)? {
                    Some(info) if SystemTime::now().duration_since(info.stored_at).is_ok_and(|age| age >= grace) => {
                        store.delete(&hash)
                    }
                    _ => Ok(false),
                })
                .await?;
            if collected {
                done.deleted += 1;
            }
        }
        Ok(done)
    }
}

/// Counts the answers on `answers` into `tally` until it says durable or impossible, or until
/// `deadline` (whoever has not answered by then failed).
async fn settle(
    mut tally: DurableTally,
    mut answers: mpsc::UnboundedReceiver<(u64, Result<(), String>)>,
    deadline: Instant,
) -> Result<(), BlobsError> {
    loop {
        match tally.verdict() {
            Verdict::Durable => return Ok(()),
            Verdict::Impossible { needed, got, failures } => {
                let failures = describe(failures.into_iter());
                return Err(BlobsError::NotDurable { needed, got, failures });
            }
            Verdict::Pending => {}
        }
        match tokio::time::timeout_at(deadline, answers.recv()).await {
            Ok(Some((member, Ok(())))) => tally.stored(member),
            Ok(Some((member, Err(reason)))) => tally.failed(member, reason),
            Ok(None) | Err(_) => {
                for member in tally.targets() {
                    tally.failed(member, "no answer before the deadline");
                }
            }
        }
    }
}

fn describe(failures: impl Iterator<Item = (u64, String)>) -> String {
    let parts: Vec<String> = failures.map(|(member, reason)| format!("member {member}: {reason}")).collect();
    if parts.is_empty() { "no member refused".to_owned() } else { parts.join("; ") }
}
