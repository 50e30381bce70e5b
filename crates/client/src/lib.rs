//! # coterie-client
//!
//! The Rust face of Coterie. Structures store bytes; applications store typed values. This
//! crate is where the two meet, so that the server never needs to know an application's
//! types and every language can read what another wrote, as long as both agree on the
//! encoding.
//!
//! What is here today is that typed-value layer ([`Value`]). The connection, leader
//! following, retries with dedup ids, sessions and the typed handles
//! (`client.atomic_long("seq")`, `client.map::<K, V>("users")`, ...) arrive with the CP
//! subsystem's gRPC API.

mod value;

pub use value::{Serde, Value, ValueError};
