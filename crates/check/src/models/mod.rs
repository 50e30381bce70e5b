//! Sequential models of the objects Coterie serves.
//!
//! Each model is the specification a client-visible behaviour is checked against, not the
//! engine's implementation: it is deliberately the simplest sequential object that has the
//! contract the documentation promises.

pub mod counter;
pub mod mutex;
pub mod queue;
pub mod register;
pub mod semaphore;
pub mod set;

pub use counter::{Counter, CounterInput, CounterOutput};
pub use mutex::{FencedMutex, MutexInput, MutexOutput, MutexState};
pub use queue::{Queue, QueueInput, QueueOf, QueueOutput};
pub use register::{CasRegister, RegisterInput, RegisterOutput};
pub use semaphore::{Semaphore, SemaphoreInput, SemaphoreOutput, SemaphoreState};
pub use set::{Set, SetInput, SetOutput};
