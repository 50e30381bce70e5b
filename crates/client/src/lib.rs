//! # coterie-client
//!
//! The Rust face of Coterie's CP subsystem: typed handles over a cluster's structures
//! (`client.atomic_long("seq")?.increment_and_get().await?`,
//! `client.fenced_lock("r")?.lock().await? -> Fence`), with leader following, retries
//! that are applied exactly once, and sessions kept alive in the background.
//!
//! The sharded engine's structures have handles too (seed 000):
//! `client.counter("page-views")?.increment(100).await?`, `client.map::<String, Serde<User>>("users")?`,
//! `client.set::<String>("tags")?`, `client.queue::<String>("jobs")?`, each with a shard count
//! and a timeout ([`Sharded`]).
//!
//! Structures store bytes; [`Value`] is how application types become those bytes, so the
//! server never needs to know an application's types.
//!
//! The client is generic over a [`Transport`]: the retry, session and handle logic here is
//! the same whichever wire carries the calls. With the default `grpc` feature,
//! `Client::connect(&["127.0.0.1:7101"]).await?` talks to a cluster over its gRPC API
//! ([`GrpcTransport`]); without it, the crate carries no network dependencies. The
//! `object-store` feature adds [`object_store::BucketObjectStore`], the `object_store`
//! crate's trait over a bucket.

#[cfg(feature = "grpc")]
pub mod bucket;
mod client;
mod config;
mod error;
#[cfg(feature = "grpc")]
mod grpc;
mod handles;
mod identity;
mod invoke;
mod members;
#[cfg(feature = "object-store")]
pub mod object_store;
mod retry;
mod route;
mod sequence;
mod transport;
mod value;
#[cfg(feature = "grpc")]
mod wait;

#[cfg(feature = "grpc")]
pub use bucket::Bucket;
pub use client::Client;
pub use config::ClientConfig;
pub use coterie_api::convert::RpcMode;
pub use coterie_core::Consistency;
pub use error::ClientError;
#[cfg(feature = "grpc")]
pub use grpc::GrpcTransport;
pub use handles::sharded::{Barrier, Counter, Cursor, Lock, Map, Page, Queue, Set, Sharded, ShardedSemaphore};
pub use handles::{AtomicLong, AtomicReference, CountDownLatch, FencedLock, LockGuard, Semaphore};
pub use invoke::operations;
pub use route::RouteTable;
pub use transport::{Call, Transport, TransportError};
pub use value::{Serde, Value, ValueError};
#[cfg(feature = "grpc")]
pub use wait::UpMember;
