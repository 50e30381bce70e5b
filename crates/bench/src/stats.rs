//! What a run counts, shared by the runner that fills it in and the output that shows it.
//!
//! A leaf: it imports nothing from the crate, so [`runner`](crate::runner) and
//! [`output`](crate::output) can both depend on it without depending on each other.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use hdrhistogram::Histogram;

/// What the measured phase produced.
#[derive(Clone, Debug)]
pub struct RunStats {
    /// Ops that succeeded.
    pub ops: u64,
    /// Ops that failed or timed out.
    pub errors: u64,
    /// The first error's text.
    pub first_error: Option<String>,
    /// Latencies of the successful ops, in µs.
    pub latency_us: Histogram<u64>,
    /// The measured phase's length.
    pub elapsed: Duration,
}

/// Counters shared by the clients, read by the progress bar.
#[derive(Debug, Default)]
pub struct Counters {
    /// Successful measured ops.
    pub ops: AtomicU64,
    /// Failed measured ops.
    pub errors: AtomicU64,
    /// Measured ops started (the op budget's tickets).
    pub(crate) started: AtomicU64,
}
