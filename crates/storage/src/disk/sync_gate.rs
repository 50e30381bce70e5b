//! Group commit across the logs of one file: concurrent writers share fsyncs.
//!
//! Why: every log in a node's file (each CP group's, each sharded partition's) commits
//! durably before its write returns, and redb runs one write transaction at a time. With one
//! fsync per commit, sixteen partitions written at once wait for sixteen fsyncs in a row
//! (about 1 ms each on this kind of disk), although one fsync could cover all of them.
//!
//! How: the first writer to find no durable commit running commits its own transaction
//! durably (an idle file pays exactly one fsync per write, as before). A writer that finds
//! one running commits its transaction without an fsync (`Durability::None`: visible at
//! once, durable with the next durable commit) and then waits for a durable commit that
//! *started after* its own commit ended; if none is running, it runs one itself (an empty
//! durable transaction, which makes every earlier commit of the file durable). So each write
//! still returns only once it is on disk, and writes that arrive while an fsync runs share
//! the next one.
//!
//! The gate itself does no I/O: it is handed the commit and the sync as closures, so its
//! rules are tested without a file.

use std::sync::{Condvar, Mutex, PoisonError};

/// The gate's count of durable commits (see the module docs).
#[derive(Debug, Default)]
struct State {
    /// Durable commits started so far (the number of the latest).
    started: u64,
    /// The number of the latest durable commit that succeeded.
    synced: u64,
    /// Whether a durable commit runs now.
    running: bool,
}

/// Shares durable commits between the writers of one file (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct SyncGate {
    state: Mutex<State>,
    ended: Condvar,
}

impl SyncGate {
    /// Commits one write: `commit(true)` commits it durably, `commit(false)` without an
    /// fsync; `sync()` runs an empty durable commit. Returns once the write is durable, or
    /// with the error of the commit or of the sync that was to make it durable (the write may
    /// then be visible without being durable; the caller treats the file as failed).
    pub(crate) fn commit<E>(
        &self,
        commit: impl FnOnce(bool) -> Result<(), E>,
        sync: impl Fn() -> Result<(), E>,
    ) -> Result<(), E> {
        if let Some(number) = self.begin_if_idle() {
            let result = commit(true);
            self.end(number, result.is_ok());
            return result;
        }
        commit(false)?;
        self.await_sync_after_now(sync)
    }

    /// Claims the next durable commit if none runs; its number.
    fn begin_if_idle(&self) -> Option<u64> {
        let mut state = self.lock();
        (!state.running).then(|| Self::begin(&mut state))
    }

    fn begin(state: &mut State) -> u64 {
        state.running = true;
        state.started += 1;
        state.started
    }

    fn end(&self, number: u64, ok: bool) {
        let mut state = self.lock();
        state.running = false;
        if ok {
            state.synced = state.synced.max(number);
        }
        self.ended.notify_all();
    }

    /// Waits for a durable commit that starts after this call and succeeds, running one
    /// whenever none runs. A failed one is followed by another (the file will most likely
    /// refuse that too, and the caller then gets its error).
    fn await_sync_after_now<E>(&self, sync: impl Fn() -> Result<(), E>) -> Result<(), E> {
        let mut state = self.lock();
        // The running commit (if any) may have started before the caller's write ended.
        let target = state.started + 1;
        loop {
            if state.synced >= target {
                return Ok(());
            }
            if !state.running {
                let number = Self::begin(&mut state);
                drop(state);
                let result = sync();
                self.end(number, result.is_ok());
                result?;
                state = self.lock();
                continue;
            }
            state = self.ended.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// The number of durable commits run so far (the fsyncs the gate asked for).
    pub(crate) fn durable_commits(&self) -> u64 {
        self.lock().started
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is a few counters updated in one step each: a panicking holder leaves it whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn an_idle_gate_commits_the_write_durably_itself() {
        let gate = SyncGate::default();
        let mut durable = None;
        let result = gate.commit::<()>(
            |d| {
                durable = Some(d);
                Ok(())
            },
            || panic!("no extra fsync when nobody else writes"),
        );
        assert_eq!((result, durable), (Ok(()), Some(true)));
        assert_eq!(gate.durable_commits(), 1);
    }

    #[test]
    fn a_write_during_a_durable_commit_is_made_durable_by_a_later_one() {
        let gate = SyncGate::default();
        let first = gate.begin_if_idle().unwrap();
        let syncs = AtomicU64::new(0);
        let (tx, rx) = mpsc::channel();
        let (durable, result) = std::thread::scope(|scope| {
            let writer = scope.spawn(|| {
                let mut durable = None;
                let result = gate.commit::<()>(
                    |d| {
                        durable = Some(d);
                        tx.send(()).unwrap();
                        Ok(())
                    },
                    || {
                        syncs.fetch_add(1, Ordering::SeqCst);
                        Ok(())
                    },
                );
                (durable, result)
            });
            // The first commit started before the write and ends after it: it does not count.
            rx.recv().unwrap();
            gate.end(first, true);
            writer.join().unwrap()
        });
        assert_eq!(durable, Some(false), "committed without an fsync while another ran");
        assert_eq!(result, Ok(()));
        assert_eq!(syncs.load(Ordering::SeqCst), 1, "then made durable by a sync that started after it");
        assert_eq!(gate.durable_commits(), 2);
    }

    #[test]
    fn writes_during_one_durable_commit_share_the_next() {
        const WRITERS: u64 = 16;
        let gate = SyncGate::default();
        let deferred = AtomicU64::new(0);
        std::thread::scope(|scope| {
            for _ in 0..WRITERS {
                scope.spawn(|| {
                    let commit = |durable: bool| {
                        if durable {
                            // The first writer's fsync lasts until every other write is in.
                            let bound = Instant::now() + Duration::from_secs(10);
                            while deferred.load(Ordering::SeqCst) < WRITERS - 1 && Instant::now() < bound {
                                std::thread::yield_now();
                            }
                        } else {
                            deferred.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok::<(), ()>(())
                    };
                    gate.commit(commit, || Ok(())).unwrap();
                });
            }
        });
        assert_eq!(deferred.load(Ordering::SeqCst), WRITERS - 1);
        assert_eq!(gate.durable_commits(), 2, "one fsync for the first write, one shared by the other 15");
    }

    #[test]
    fn every_write_returns_after_a_durable_commit_that_started_after_it() {
        // Start numbers of the durable actions, and the greatest that completed.
        let starts = AtomicU64::new(0);
        let completed = Mutex::new(0u64);
        let gate = SyncGate::default();
        let durable_action = || {
            let number = starts.fetch_add(1, Ordering::SeqCst) + 1;
            let mut done = completed.lock().unwrap();
            *done = (*done).max(number);
            Ok::<(), ()>(())
        };
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..200 {
                        let mut seen = None;
                        gate.commit(
                            |durable| {
                                if durable {
                                    return durable_action();
                                }
                                seen = Some(starts.load(Ordering::SeqCst));
                                Ok(())
                            },
                            durable_action,
                        )
                        .unwrap();
                        if let Some(seen) = seen {
                            assert!(*completed.lock().unwrap() > seen, "returned before a later fsync");
                        }
                    }
                });
            }
        });
        assert!(gate.durable_commits() <= 8 * 200);
    }

    #[test]
    fn a_failed_sync_fails_the_writes_it_was_to_make_durable() {
        let gate = SyncGate::default();
        let running = gate.begin_if_idle().unwrap();
        let (tx, rx) = mpsc::channel();
        let result = std::thread::scope(|scope| {
            let writer = scope.spawn(|| {
                gate.commit(
                    |durable| {
                        assert!(!durable);
                        tx.send(()).unwrap();
                        Ok(())
                    },
                    || Err("disk full"),
                )
            });
            rx.recv().unwrap();
            gate.end(running, false);
            writer.join().unwrap()
        });
        assert_eq!(result, Err("disk full"));
        assert_eq!(gate.lock().synced, 0, "no durable commit succeeded");
    }
}
