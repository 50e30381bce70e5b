//! Linearizability checking of recorded client histories.
//!
//! Issue 10 asks for deterministic simulation of every engine with the clients' histories
//! checked for linearizability. This crate is the checker half of that: pure code (no clocks,
//! threads or I/O) that takes a [`History`] recorded by clients — every operation with its
//! invoke time, its completion time and an [`Outcome`] of `Ok`, `Fail` or `Unknown` — and
//! decides, per key, whether some sequential execution of a [`Model`] explains it while
//! respecting real-time order.
//!
//! * [`history`]: what a recorded operation means, precisely (in particular `Unknown`).
//! * [`model`]: the sequential specification a history is checked against.
//! * [`checker`]: Wing & Gong's search with Lowe's memoization, bounded by a [`Budget`].
//! * [`models`]: a compare-and-set register, a counter and a fenced mutex.
//! * [`invariants`]: Raft's safety properties (election safety, log matching, state-machine
//!   safety, no acknowledged write lost) as pure functions over snapshots of a run.
//!
//! The checker is validated against `todc-utils`' independent implementation of the same
//! algorithm on generated histories (see `tests/todc_cross.rs`) and against a brute-force
//! enumeration of linearizations (see `tests/brute_force.rs`).

pub mod checker;
pub mod history;
pub mod invariants;
pub mod model;
pub mod models;

pub use checker::{Budget, Counterexample, Verdict, check, check_keyed};
pub use history::{History, HistoryError, KeyedHistory, OpId, Operation, Outcome, ProcessId, Time};
pub use model::Model;
