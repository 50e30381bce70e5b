//! Real-process fault runs (issue 10, item 6): the history-recording load client and its
//! check.
//!
//! `scripts/chaos.sh` starts `coterie serve` members, runs `coterie-chaos run` against them
//! while it kills, pauses and partitions them, then runs `coterie-chaos check` on the
//! history. This crate is that binary's code:
//!
//! * [`record`]: the history file (JSON lines) and its mapping to coterie-check histories;
//! * [`load`]: the concurrent clients that issue and record the operations;
//! * [`report`]: the per-key check and the report printed.

pub mod load;
pub mod record;
pub mod report;
