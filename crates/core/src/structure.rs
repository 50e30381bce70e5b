//! One enum over every built-in kind, so a group can hold structures of all kinds in one
//! ordered map and dispatch commands to them without trait objects.
//!
//! The `structures!` table below is the only place that lists the kinds: the enums and
//! their dispatch code are generated from it, so adding a kind is one line here plus its
//! module, and no dispatch arm can be forgotten.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::ctx::ApplyCtx;
use crate::error::CoreError;
use crate::kind::Kind;
use crate::kinds::atomic_long::{AtomicLong, AtomicLongCommand, AtomicLongOutput};
use crate::kinds::fenced_lock::{FencedLock, FencedLockCommand, FencedLockConfig, FencedLockOutput};
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
    FencedLock(FencedLock, FencedLockCommand, FencedLockOutput);
}

/// A kind plus its configuration: what a structure is created from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StructureSpec {
    /// See [`AtomicLong`].
    AtomicLong,
    /// See [`FencedLock`].
    FencedLock(FencedLockConfig),
}

impl StructureSpec {
    /// The spec a structure gets when it is first used without being created explicitly.
    pub fn default_for(kind: Kind) -> Result<Self, CoreError> {
        Ok(match kind {
            Kind::AtomicLong => StructureSpec::AtomicLong,
            Kind::FencedLock => StructureSpec::FencedLock(FencedLockConfig::default()),
            other => return Err(CoreError::UnknownKind { name: other.name().to_owned() }),
        })
    }

    /// The kind this spec creates.
    pub fn kind(&self) -> Kind {
        match self {
            StructureSpec::AtomicLong => Kind::AtomicLong,
            StructureSpec::FencedLock(_) => Kind::FencedLock,
        }
    }

    /// A new, empty structure.
    pub fn build(&self) -> Structure {
        match self {
            StructureSpec::AtomicLong => Structure::AtomicLong(AtomicLong::default()),
            StructureSpec::FencedLock(config) => Structure::FencedLock(FencedLock::new(config.clone())),
        }
    }
}

impl Structure {
    /// The spec this structure was created from (kind and configuration).
    pub fn spec(&self) -> StructureSpec {
        match self {
            Structure::AtomicLong(_) => StructureSpec::AtomicLong,
            Structure::FencedLock(lock) => StructureSpec::FencedLock(lock.config().clone()),
        }
    }
}

impl StructureCommand {
    /// Bytes of user data (keys, values, items) the command carries, for the size limit.
    pub fn payload_len(&self) -> usize {
        match self {
            StructureCommand::AtomicLong(_) | StructureCommand::FencedLock(_) => 0,
        }
    }
}
