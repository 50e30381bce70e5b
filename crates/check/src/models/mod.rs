//! Sequential models of the objects Coterie serves.
//!
//! Each model is the specification a client-visible behaviour is checked against, not the
//! engine's implementation: it is deliberately the simplest sequential object that has the
//! contract the documentation promises.

pub mod counter;
pub mod mutex;
pub mod register;

pub use counter::{Counter, CounterInput, CounterOutput};
pub use mutex::{FencedMutex, MutexInput, MutexOutput, MutexState};
pub use register::{CasRegister, RegisterInput, RegisterOutput};
