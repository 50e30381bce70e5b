//! The error every `validate(self)` of a configuration type answers with.
//!
//! Configurations are checked once, where they enter (the openraft habit:
//! `Config::validate(self) -> Result<Self, _>`), so that a bad value is refused up front
//! with a message naming it, instead of panicking later inside a timer or misbehaving
//! silently. The type lives in the core because every crate's configurations use it:
//! [`GroupConfig`](crate::GroupConfig) here, the client's, the CP engine's and the host's.

use std::fmt::Debug;

use thiserror::Error;

/// A configuration setting whose value is not accepted.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("invalid configuration: {setting} is {value}; {accepted}")]
pub struct ConfigError {
    /// The setting, as its configuration type names it (`ClientConfig::heartbeat_interval`).
    pub setting: &'static str,
    /// The value it was given, as written in Rust (`0ns`, `Some(3)`).
    pub value: String,
    /// What is accepted instead, as a sentence starting with "it must".
    pub accepted: String,
}

impl ConfigError {
    /// The error for `setting`, given `value`, which accepts what `accepted` says.
    pub fn new(setting: &'static str, value: impl Debug, accepted: impl Into<String>) -> Self {
        ConfigError { setting, value: format!("{value:?}"), accepted: accepted.into() }
    }

    /// `Ok` if `accepted_if` holds, else the error of [`ConfigError::new`].
    pub fn ensure(
        accepted_if: bool,
        setting: &'static str,
        value: impl Debug,
        accepted: impl Into<String>,
    ) -> Result<(), Self> {
        if accepted_if { Ok(()) } else { Err(ConfigError::new(setting, value, accepted)) }
    }
}
