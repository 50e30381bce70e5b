//! One enum over every built-in kind, so a group can hold structures of all kinds in one
//! ordered map and dispatch commands to them without trait objects.
//!
//! The `structures!` table below generates [`Structure`], [`StructureCommand`],
//! [`StructureOutput`] and their dispatch (`apply`, `read`, `tick`, `next_deadline`,
//! `cancel`, `release_sessions`, `kind`), so no dispatch arm can be forgotten. It is not the
//! only list of kinds, though. Adding a kind to the core takes:
//!
//! 1. its module in [`kinds`](crate::kinds) (state, command and output types, and a
//!    [`StateMachine`] impl), declared in `kinds/mod.rs`;
//! 2. a [`Kind`] variant, with its arm in [`Kind::name`] and its place in [`Kind::ALL`]
//!    (`kind.rs`);
//! 3. one line in the `structures!` table here;
//! 4. a [`StructureSpec`] variant (carrying the kind's configuration, if it has one), with
//!    its arms in [`StructureSpec::default_for`], [`StructureSpec::kind`] and
//!    [`StructureSpec::build`];
//! 5. an arm in [`Structure::spec`] if the kind has a configuration: that match falls back
//!    to the default spec, so the compiler does not catch a missing arm there, and a
//!    configured structure would report the default configuration;
//! 6. an arm in [`StructureCommand::payload_len`] (its user bytes count toward
//!    [`GroupConfig::max_value_bytes`](crate::GroupConfig::max_value_bytes)).
//!
//! Every match but the one of step 5 is exhaustive, so the compiler lists what is missing.
//! Outside the core, the kind is reachable only once it also has proto messages and
//! conversions in `coterie-api` (`convert/`), an rpc in the server's host, a handle in
//! `coterie-client`, and, if it has errors of its own, rows in `coterie-api`'s status table.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::ctx::ApplyCtx;
use crate::error::CoreError;
use crate::kind::Kind;
use crate::kinds::atomic_long::{AtomicLong, AtomicLongCommand, AtomicLongOutput};
use crate::kinds::atomic_reference::{AtomicReference, AtomicReferenceCommand, AtomicReferenceOutput};
use crate::kinds::barrier::{Barrier, BarrierCommand, BarrierOutput};
use crate::kinds::bucket::{Bucket, BucketCommand, BucketOutput};
use crate::kinds::count_down_latch::{CountDownLatch, CountDownLatchCommand, CountDownLatchOutput};
use crate::kinds::counter::{Counter, CounterCommand, CounterOutput};
use crate::kinds::cp_semaphore::{CpSemaphore, CpSemaphoreCommand, CpSemaphoreOutput};
use crate::kinds::fenced_lock::{FencedLock, FencedLockCommand, FencedLockConfig, FencedLockOutput};
use crate::kinds::lock::{Lock, LockCommand, LockOutput};
use crate::kinds::map::{Map, MapCommand, MapOutput};
use crate::kinds::queue::{Queue, QueueCommand, QueueConfig, QueueOutput};
use crate::kinds::semaphore::{Semaphore, SemaphoreCommand, SemaphoreConfig, SemaphoreOutput};
use crate::kinds::set::{Set, SetCommand, SetOutput};
use crate::machine::{Applied, Effect, Reply, StateMachine};
use crate::types::{InvocationId, SessionId, Timestamp};

fn map_effects<T, U>(effects: Vec<Effect<T>>, f: fn(T) -> U) -> Vec<Effect<U>> {
    effects.into_iter().map(|e| e.map(f)).collect()
}

fn map_applied<T, U>(applied: Applied<T>, f: fn(T) -> U) -> Applied<U> {
    Applied {
        response: match applied.response {
            Reply::Ready(result) => Reply::Ready(result.map(f)),
            Reply::Parked => Reply::Parked,
        },
        effects: map_effects(applied.effects, f),
    }
}

macro_rules! structures {
    ($($variant:ident($state:ty, $command:ty, $output:ty);)*) => {
        /// A structure of any built-in kind.
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        pub enum Structure {
            $(
                #[doc = concat!("A ", stringify!($variant), ".")]
                $variant($state),
            )*
        }

        /// A command for a structure of any built-in kind.
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        pub enum StructureCommand {
            $(
                #[doc = concat!("A command for a ", stringify!($variant), ".")]
                $variant($command),
            )*
        }

        /// The output of a structure of any built-in kind.
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        pub enum StructureOutput {
            $(
                #[doc = concat!("The output of a ", stringify!($variant), ".")]
                $variant($output),
            )*
        }

        impl Structure {
            /// This structure's kind.
            pub fn kind(&self) -> Kind {
                match self {
                    $(Structure::$variant(_) => Kind::$variant,)*
                }
            }

            /// Applies `command` if it is for this structure's kind, or answers
            /// [`CoreError::WrongKind`] without touching the state.
            pub fn apply(&mut self, name: &str, command: StructureCommand, ctx: &ApplyCtx) -> Applied<StructureOutput> {
                match (self, command) {
                    $(
                        (Structure::$variant(state), StructureCommand::$variant(command)) => {
                            map_applied(state.apply(command, ctx), StructureOutput::$variant)
                        }
                    )*
                    (state, command) => Applied::err(CoreError::WrongKind {
                        name: name.to_owned(),
                        expected: command.kind(),
                        actual: state.kind(),
                    }),
                }
            }

            /// See [`StateMachine::read`]. A command for another kind is answered with
            /// [`CoreError::WrongKind`], as `apply` would.
            pub fn read(&self, name: &str, command: &StructureCommand, ctx: &ApplyCtx) -> Option<Result<StructureOutput, CoreError>> {
                match (self, command) {
                    $(
                        (Structure::$variant(state), StructureCommand::$variant(command)) => {
                            state.read(command, ctx).map(|result| result.map(StructureOutput::$variant))
                        }
                    )*
                    (state, command) => Some(Err(CoreError::WrongKind {
                        name: name.to_owned(),
                        expected: command.kind(),
                        actual: state.kind(),
                    })),
                }
            }

            /// See [`StateMachine::tick`].
            pub fn tick(&mut self, ctx: &ApplyCtx) -> Vec<Effect<StructureOutput>> {
                match self {
                    $(Structure::$variant(state) => map_effects(state.tick(ctx), StructureOutput::$variant),)*
                }
            }

            /// See [`StateMachine::next_deadline`].
            pub fn next_deadline(&self) -> Option<Timestamp> {
                match self {
                    $(Structure::$variant(state) => state.next_deadline(),)*
                }
            }

            /// See [`StateMachine::cancel`].
            pub fn cancel(&mut self, invocation: InvocationId, ctx: &ApplyCtx) -> Vec<Effect<StructureOutput>> {
                match self {
                    $(Structure::$variant(state) => map_effects(state.cancel(invocation, ctx), StructureOutput::$variant),)*
                }
            }

            /// See [`StateMachine::release_sessions`].
            pub fn release_sessions(&mut self, sessions: &BTreeSet<SessionId>, ctx: &ApplyCtx) -> Vec<Effect<StructureOutput>> {
                match self {
                    $(Structure::$variant(state) => {
                        map_effects(state.release_sessions(sessions, ctx), StructureOutput::$variant)
                    })*
                }
            }
        }

        impl StructureCommand {
            /// The kind of structure this command is for.
            pub fn kind(&self) -> Kind {
                match self {
                    $(StructureCommand::$variant(_) => Kind::$variant,)*
                }
            }
        }
    };
}

structures! {
    AtomicLong(AtomicLong, AtomicLongCommand, AtomicLongOutput);
    AtomicReference(AtomicReference, AtomicReferenceCommand, AtomicReferenceOutput);
    FencedLock(FencedLock, FencedLockCommand, FencedLockOutput);
    CpSemaphore(CpSemaphore, CpSemaphoreCommand, CpSemaphoreOutput);
    CountDownLatch(CountDownLatch, CountDownLatchCommand, CountDownLatchOutput);
    Counter(Counter, CounterCommand, CounterOutput);
    Map(Map, MapCommand, MapOutput);
    Set(Set, SetCommand, SetOutput);
    Queue(Queue, QueueCommand, QueueOutput);
    Lock(Lock, LockCommand, LockOutput);
    Semaphore(Semaphore, SemaphoreCommand, SemaphoreOutput);
    Barrier(Barrier, BarrierCommand, BarrierOutput);
    Bucket(Bucket, BucketCommand, BucketOutput);
}

/// A kind plus its configuration: what a structure is created from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StructureSpec {
    /// See [`AtomicLong`].
    AtomicLong,
    /// See [`AtomicReference`].
    AtomicReference,
    /// See [`FencedLock`].
    FencedLock(FencedLockConfig),
    /// See [`CpSemaphore`].
    CpSemaphore,
    /// See [`CountDownLatch`].
    CountDownLatch,
    /// See [`Counter`].
    Counter,
    /// See [`Map`].
    Map,
    /// See [`Set`].
    Set,
    /// See [`Queue`].
    Queue(QueueConfig),
    /// See [`Lock`].
    Lock,
    /// See [`Semaphore`].
    Semaphore(SemaphoreConfig),
    /// See [`Barrier`].
    Barrier,
    /// See [`Bucket`].
    Bucket,
}

impl StructureSpec {
    /// The spec a structure gets when it is first used without being created explicitly:
    /// the kind's default configuration.
    pub fn default_for(kind: Kind) -> Self {
        match kind {
            Kind::AtomicLong => StructureSpec::AtomicLong,
            Kind::AtomicReference => StructureSpec::AtomicReference,
            Kind::FencedLock => StructureSpec::FencedLock(FencedLockConfig::default()),
            Kind::CpSemaphore => StructureSpec::CpSemaphore,
            Kind::CountDownLatch => StructureSpec::CountDownLatch,
            Kind::Counter => StructureSpec::Counter,
            Kind::Map => StructureSpec::Map,
            Kind::Set => StructureSpec::Set,
            Kind::Queue => StructureSpec::Queue(QueueConfig::default()),
            Kind::Lock => StructureSpec::Lock,
            Kind::Semaphore => StructureSpec::Semaphore(SemaphoreConfig::default()),
            Kind::Barrier => StructureSpec::Barrier,
            Kind::Bucket => StructureSpec::Bucket,
        }
    }

    /// The kind this spec creates.
    pub fn kind(&self) -> Kind {
        match self {
            StructureSpec::AtomicLong => Kind::AtomicLong,
            StructureSpec::AtomicReference => Kind::AtomicReference,
            StructureSpec::FencedLock(_) => Kind::FencedLock,
            StructureSpec::CpSemaphore => Kind::CpSemaphore,
            StructureSpec::CountDownLatch => Kind::CountDownLatch,
            StructureSpec::Counter => Kind::Counter,
            StructureSpec::Map => Kind::Map,
            StructureSpec::Set => Kind::Set,
            StructureSpec::Queue(_) => Kind::Queue,
            StructureSpec::Lock => Kind::Lock,
            StructureSpec::Semaphore(_) => Kind::Semaphore,
            StructureSpec::Barrier => Kind::Barrier,
            StructureSpec::Bucket => Kind::Bucket,
        }
    }

    /// A new, empty structure.
    pub fn build(&self) -> Structure {
        match self {
            StructureSpec::AtomicLong => Structure::AtomicLong(AtomicLong::default()),
            StructureSpec::AtomicReference => Structure::AtomicReference(AtomicReference::default()),
            StructureSpec::FencedLock(config) => Structure::FencedLock(FencedLock::new(config.clone())),
            StructureSpec::CpSemaphore => Structure::CpSemaphore(CpSemaphore::default()),
            StructureSpec::CountDownLatch => Structure::CountDownLatch(CountDownLatch::default()),
            StructureSpec::Counter => Structure::Counter(Counter::default()),
            StructureSpec::Map => Structure::Map(Map::default()),
            StructureSpec::Set => Structure::Set(Set::default()),
            StructureSpec::Queue(config) => Structure::Queue(Queue::new(config.clone())),
            StructureSpec::Lock => Structure::Lock(Lock::default()),
            StructureSpec::Semaphore(config) => Structure::Semaphore(Semaphore::new(config.clone())),
            StructureSpec::Barrier => Structure::Barrier(Barrier::default()),
            StructureSpec::Bucket => Structure::Bucket(Bucket::default()),
        }
    }
}

impl Structure {
    /// The spec this structure was created from (kind and configuration).
    pub fn spec(&self) -> StructureSpec {
        match self {
            Structure::FencedLock(lock) => StructureSpec::FencedLock(lock.config().clone()),
            Structure::Queue(queue) => StructureSpec::Queue(queue.config().clone()),
            Structure::Semaphore(semaphore) => StructureSpec::Semaphore(semaphore.config().clone()),
            other => StructureSpec::default_for(other.kind()),
        }
    }
}

impl StructureCommand {
    /// Bytes of user data (keys, values, items) the command carries, for the size limit.
    pub fn payload_len(&self) -> usize {
        match self {
            StructureCommand::AtomicReference(command) => command.payload_len(),
            StructureCommand::Map(command) => command.payload_len(),
            StructureCommand::Set(command) => command.payload_len(),
            StructureCommand::Queue(command) => command.payload_len(),
            StructureCommand::Bucket(command) => command.payload_len(),
            StructureCommand::AtomicLong(_)
            | StructureCommand::FencedLock(_)
            | StructureCommand::CpSemaphore(_)
            | StructureCommand::CountDownLatch(_)
            | StructureCommand::Counter(_)
            | StructureCommand::Lock(_)
            | StructureCommand::Semaphore(_)
            | StructureCommand::Barrier(_) => 0,
        }
    }
}
