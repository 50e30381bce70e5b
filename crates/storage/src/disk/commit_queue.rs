//! Group commit across the logs of one file: concurrent writes share one transaction and
//! its one fsync.
//!
//! Why: every log in a node's file (each CP group's, each sharded partition's) commits
//! durably before its write returns, and redb runs one write transaction at a time, holding
//! its write slot through the commit's fsync. Sixteen partitions written at once used to
//! open sixteen transactions in a row, each waiting for the one before it to finish its
//! fsync (an earlier gate let the later ones commit without an fsync of their own, but they
//! still queued behind the slot one by one: measured with `cargo bench -p coterie-storage
//! --bench append`, 16 logs appending at once reached 5.5k entries/s where one log alone
//! reached 4.4k).
//!
//! How (flat combining): a writer queues its write and, if no commit is running, becomes the
//! leader: it takes every write queued so far (up to a bound), runs them all in one
//! transaction, commits it durably and hands each writer its own result. Writers that arrive
//! meanwhile wait and go into the next commit, led by the first of them to find the queue
//! free. An idle file still pays exactly one commit per write, with no wait; a busy one pays
//! one commit for everything that queued during the previous one.
//!
//! The queue itself does no I/O: the leader is handed the commit as a closure, so its rules
//! (each write in exactly one commit, each writer its own result, no write left behind when
//! a leader fails) are tested without a file.

use std::collections::{HashMap, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// The queued writes and the results not yet collected.
struct State<W, R> {
    /// Writes waiting for a commit, oldest first, with their tickets.
    pending: VecDeque<(u64, W)>,
    /// The ticket the next write gets.
    next_ticket: u64,
    /// Whether a leader is committing a batch now.
    leading: bool,
    /// Results of committed writes, until their writers collect them; `None` when the
    /// commit that carried the write ended without a result for it (its leader panicked).
    done: HashMap<u64, Option<R>>,
    /// Commits run so far.
    commits: u64,
}

/// Combines the concurrent writes of one file into shared commits (see the module docs).
pub(crate) struct CommitQueue<W, R> {
    state: Mutex<State<W, R>>,
    ended: Condvar,
    /// The most writes one commit carries.
    max_batch: usize,
}

impl<W, R> std::fmt::Debug for CommitQueue<W, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("CommitQueue")
            .field("pending", &state.pending.len())
            .field("leading", &state.leading)
            .field("commits", &state.commits)
            .finish()
    }
}

impl<W, R> CommitQueue<W, R> {
    /// A queue whose commits carry at most `max_batch` writes (at least one).
    pub(crate) fn new(max_batch: usize) -> Self {
        let state =
            State { pending: VecDeque::new(), next_ticket: 0, leading: false, done: HashMap::new(), commits: 0 };
        CommitQueue { state: Mutex::new(state), ended: Condvar::new(), max_batch: max_batch.max(1) }
    }

    /// Queues `write` and returns its result once a commit carried it: one this thread
    /// led with `commit` (handed every write queued so far, oldest first and at most
    /// `max_batch`, and returning one result per write, in the same order), or one another
    /// writer led. `lost` makes the result of a write whose commit ended without one (the
    /// commit panicked, or returned too few results).
    pub(crate) fn run(&self, write: W, mut commit: impl FnMut(Vec<W>) -> Vec<R>, lost: impl FnOnce() -> R) -> R {
        let mut state = self.lock();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.pending.push_back((ticket, write));
        loop {
            if let Some(result) = state.done.remove(&ticket) {
                return result.unwrap_or_else(lost);
            }
            // A batch that ended without this write (the bound cut it off) leaves it queued:
            // whoever finds the queue free next leads it, this thread included.
            if !state.leading {
                state = self.lead(state, &mut commit);
                continue;
            }
            state = self.ended.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Takes up to `max_batch` queued writes, commits them with `commit` outside the lock,
    /// stores their results and frees the queue for the next leader.
    fn lead<'a>(
        &'a self,
        mut state: MutexGuard<'a, State<W, R>>,
        commit: &mut impl FnMut(Vec<W>) -> Vec<R>,
    ) -> MutexGuard<'a, State<W, R>> {
        state.leading = true;
        state.commits += 1;
        let take = state.pending.len().min(self.max_batch);
        let (tickets, writes): (Vec<u64>, Vec<W>) = state.pending.drain(..take).unzip();
        drop(state);
        // A panicking commit answers its writes `lost` rather than leave them waiting
        // forever (the panic hook has reported it); the writes are dropped with it.
        let results = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| commit(writes))).unwrap_or_default();
        let mut results = results.into_iter();
        let mut state = self.lock();
        for ticket in tickets {
            state.done.insert(ticket, results.next());
        }
        state.leading = false;
        self.ended.notify_all();
        state
    }

    /// How many commits the queue's leaders have run so far.
    pub(crate) fn commits(&self) -> u64 {
        self.lock().commits
    }

    fn lock(&self) -> MutexGuard<'_, State<W, R>> {
        // Every update is a few fields changed in one step: a panicking holder leaves it whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::sync::{Arc, Barrier};

    use super::*;

    #[test]
    fn a_lone_write_is_committed_at_once_by_its_own_writer() {
        let queue = CommitQueue::<u32, u32>::new(8);
        let mut seen = Vec::new();
        let result = queue.run(
            7,
            |writes| {
                seen = writes.clone();
                writes.iter().map(|w| w * 10).collect()
            },
            || unreachable!("the commit answered"),
        );
        assert_eq!((result, seen, queue.commits()), (70, vec![7], 1));
    }

    /// Writes queued while a commit runs all go into the next commit, and each writer gets
    /// the result of its own write.
    #[test]
    fn writes_queued_during_a_commit_share_the_next_one() {
        const LATE: u32 = 6;
        let queue = Arc::new(CommitQueue::<u32, u32>::new(64));
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let batches = Arc::new(Mutex::new(Vec::<Vec<u32>>::new()));
        std::thread::scope(|scope| {
            let first = {
                let (queue, batches) = (Arc::clone(&queue), Arc::clone(&batches));
                scope.spawn(move || {
                    queue.run(
                        0,
                        |writes| {
                            started_tx.send(()).unwrap();
                            release_rx.recv().unwrap();
                            batches.lock().unwrap().push(writes.clone());
                            writes.iter().map(|w| w + 100).collect()
                        },
                        || unreachable!(),
                    )
                })
            };
            started_rx.recv().unwrap();
            let late: Vec<_> = (1..=LATE)
                .map(|write| {
                    let (queue, batches) = (Arc::clone(&queue), Arc::clone(&batches));
                    scope.spawn(move || {
                        queue.run(
                            write,
                            |writes| {
                                batches.lock().unwrap().push(writes.clone());
                                writes.iter().map(|w| w + 100).collect()
                            },
                            || unreachable!(),
                        )
                    })
                })
                .collect();
            // Every late write is queued before the first commit ends.
            let bound = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while queue.lock().pending.len() < LATE as usize {
                assert!(std::time::Instant::now() < bound, "the late writes never queued");
                std::thread::yield_now();
            }
            release_tx.send(()).unwrap();
            assert_eq!(first.join().unwrap(), 100);
            for (write, handle) in (1..=LATE).zip(late) {
                assert_eq!(handle.join().unwrap(), write + 100, "each writer gets its own result");
            }
        });
        let batches = batches.lock().unwrap().clone();
        assert_eq!(batches.len(), 2, "one commit for the first write, one for all the others: {batches:?}");
        let mut second = batches[1].clone();
        second.sort_unstable();
        assert_eq!(second, (1..=LATE).collect::<Vec<_>>());
        assert_eq!(queue.commits(), 2);
    }

    #[test]
    fn a_commit_carries_at_most_the_bound_and_the_rest_follow() {
        let queue = Arc::new(CommitQueue::<u32, u32>::new(2));
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        std::thread::scope(|scope| {
            let first = {
                let queue = Arc::clone(&queue);
                scope.spawn(move || {
                    queue.run(
                        0,
                        |writes| {
                            started_tx.send(()).unwrap();
                            release_rx.recv().unwrap();
                            writes
                        },
                        || unreachable!(),
                    )
                })
            };
            started_rx.recv().unwrap();
            let late: Vec<_> = (1..=5u32)
                .map(|write| {
                    let (queue, sizes) = (Arc::clone(&queue), Arc::clone(&sizes));
                    scope.spawn(move || {
                        queue.run(
                            write,
                            |writes| {
                                sizes.lock().unwrap().push(writes.len());
                                writes
                            },
                            || unreachable!(),
                        )
                    })
                })
                .collect();
            let bound = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while queue.lock().pending.len() < 5 {
                assert!(std::time::Instant::now() < bound, "the late writes never queued");
                std::thread::yield_now();
            }
            release_tx.send(()).unwrap();
            first.join().unwrap();
            for (write, handle) in (1..=5u32).zip(late) {
                assert_eq!(handle.join().unwrap(), write);
            }
        });
        let sizes = sizes.lock().unwrap().clone();
        assert_eq!(sizes, vec![2, 2, 1], "5 queued writes in commits of at most 2, oldest first");
    }

    #[test]
    fn the_writes_of_a_commit_that_panicked_are_answered_lost_and_the_queue_goes_on() {
        let queue = CommitQueue::<u32, Result<u32, &str>>::new(8);
        assert_eq!(queue.run(1, |_| panic!("disk on fire"), || Err("lost")), Err("lost"));
        // The queue is free again: the next write leads a commit of its own.
        assert_eq!(queue.run(2, |writes| writes.into_iter().map(Ok).collect(), || Err("lost")), Ok(2));
        assert!(queue.lock().done.is_empty(), "{} results never collected", queue.lock().done.len());
    }

    #[test]
    fn a_write_whose_commit_returned_no_result_for_it_is_lost() {
        let queue = CommitQueue::<u32, Result<u32, &str>>::new(8);
        assert_eq!(queue.run(1, |_| Vec::new(), || Err("lost")), Err("lost"));
    }

    #[test]
    fn many_writers_each_get_their_own_result_exactly_once() {
        const THREADS: u32 = 8;
        const WRITES: u32 = 200;
        let queue = CommitQueue::<u32, u32>::new(16);
        let start = Barrier::new(THREADS as usize);
        std::thread::scope(|scope| {
            for thread in 0..THREADS {
                let (queue, start) = (&queue, &start);
                scope.spawn(move || {
                    start.wait();
                    for n in 0..WRITES {
                        let write = thread * WRITES + n;
                        let result =
                            queue.run(write, |writes| writes.iter().map(|w| w * 2).collect(), || unreachable!());
                        assert_eq!(result, write * 2);
                    }
                });
            }
        });
        let state = queue.lock();
        assert!(state.pending.is_empty() && state.done.is_empty() && !state.leading);
        assert!(state.commits <= u64::from(THREADS * WRITES));
    }
}
