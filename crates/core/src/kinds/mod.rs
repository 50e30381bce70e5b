//! The built-in structure kinds, one state machine each.
//!
//! Each module holds one kind's state, its `...Command` and `...Output` enums and its unit
//! tests. None of them knows which engine replicates it.

pub mod atomic_long;
pub mod atomic_reference;
pub mod barrier;
pub mod bucket;
pub mod count_down_latch;
pub mod counter;
pub mod cp_semaphore;
pub mod fenced_lock;
pub mod lock;
pub mod map;
pub mod queue;
pub mod semaphore;
pub mod set;
