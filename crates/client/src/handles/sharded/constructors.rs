//! The client's constructors of sharded structure handles (seed 000): Counter, Map, Set,
//! Queue, Lock, Semaphore, Barrier. Kept beside the handles, apart from `client.rs`, which
//! holds the client's state, sessions and CP handles.

use coterie_core::{ConfigError, OwnerId};

use super::{
    Barrier, Counter, Lock, Map, Placement, Queue, Set, Sharded, ShardedSemaphore, new_owner as sharded_owner,
};
use crate::client::Client;
use crate::error::ClientError;
use crate::transport::Transport;
use crate::value::Value;

impl<T: Transport> Client<T> {
    /// The sharded Counter `name` with 100 shards and the client's call timeout.
    pub fn counter(&self, name: &str) -> Result<Counter<T>, ClientError> {
        self.counter_with(name, Sharded::default())
    }

    /// The sharded Counter `name` with `options` (shard count, timeout).
    pub fn counter_with(&self, name: &str, options: Sharded) -> Result<Counter<T>, ClientError> {
        Ok(Counter::new(self.clone(), Placement::new(name, options)?))
    }

    /// The sharded Map `name` from `K` to `V`, with 100 shards and the client's call timeout.
    pub fn map<K: Value, V: Value>(&self, name: &str) -> Result<Map<T, K, V>, ClientError> {
        self.map_with(name, Sharded::default())
    }

    /// The sharded Map `name` from `K` to `V`, with `options`.
    pub fn map_with<K: Value, V: Value>(&self, name: &str, options: Sharded) -> Result<Map<T, K, V>, ClientError> {
        Ok(Map::new(self.clone(), Placement::new(name, options)?))
    }

    /// The sharded Set `name` of `V`, with 100 shards and the client's call timeout.
    pub fn set<V: Value>(&self, name: &str) -> Result<Set<T, V>, ClientError> {
        self.set_with(name, Sharded::default())
    }

    /// The sharded Set `name` of `V`, with `options`.
    pub fn set_with<V: Value>(&self, name: &str, options: Sharded) -> Result<Set<T, V>, ClientError> {
        Ok(Set::new(self.clone(), Placement::new(name, options)?))
    }

    /// The sharded Queue `name` of `V`, with 100 shards and the client's call timeout.
    pub fn queue<V: Value>(&self, name: &str) -> Result<Queue<T, V>, ClientError> {
        self.queue_with(name, Sharded::default())
    }

    /// The sharded Queue `name` of `V`, with `options`.
    pub fn queue_with<V: Value>(&self, name: &str, options: Sharded) -> Result<Queue<T, V>, ClientError> {
        Ok(Queue::new(self.clone(), Placement::new(name, options)?, None))
    }

    /// The sharded Queue `name` of `V` holding at most `capacity` items, with `options`:
    /// the handle creates the queue with that capacity before its first call.
    pub fn queue_with_capacity<V: Value>(
        &self,
        name: &str,
        options: Sharded,
        capacity: u64,
    ) -> Result<Queue<T, V>, ClientError> {
        Ok(Queue::new(self.clone(), Placement::new(name, options)?, Some(capacity)))
    }

    /// The sharded Lock `name`, with 100 shards and the client's call timeout. Each call
    /// makes a new owner (a random 128-bit id): clone the handle to share the ownership
    /// with another task, call this again for a competing owner.
    pub fn lock(&self, name: &str) -> Result<Lock<T>, ClientError> {
        self.lock_with(name, Sharded::default())
    }

    /// The sharded Lock `name` with `options`, a new owner.
    pub fn lock_with(&self, name: &str, options: Sharded) -> Result<Lock<T>, ClientError> {
        Ok(Lock::new(self.clone(), Placement::new(name, options)?, sharded_owner()))
    }

    /// The sharded Lock `name` with `options`, acting as `owner`: an owner id another
    /// handle drew ([`Lock::owner`]), to release from another process what it acquired
    /// (the CLI's `--owner`). Two handles with one owner are one holder.
    pub fn lock_as(&self, name: &str, options: Sharded, owner: OwnerId) -> Result<Lock<T>, ClientError> {
        Ok(Lock::new(self.clone(), Placement::new(name, options)?, owner))
    }

    /// The sharded Semaphore `name` of `permits` permits (seed 000's `d.semaphore`), with
    /// 100 shards and the client's call timeout, a new owner. The CP one is
    /// [`Client::semaphore`].
    pub fn sharded_semaphore(&self, name: &str, permits: u32) -> Result<ShardedSemaphore<T>, ClientError> {
        self.sharded_semaphore_with(name, permits, Sharded::default())
    }

    /// The sharded Semaphore `name` of `permits` permits with `options`, a new owner.
    pub fn sharded_semaphore_with(
        &self,
        name: &str,
        permits: u32,
        options: Sharded,
    ) -> Result<ShardedSemaphore<T>, ClientError> {
        self.sharded_semaphore_as(name, permits, options, sharded_owner())
    }

    /// The sharded Semaphore `name` with `options`, acting as `owner` (see [`Client::lock_as`]).
    pub fn sharded_semaphore_as(
        &self,
        name: &str,
        permits: u32,
        options: Sharded,
        owner: OwnerId,
    ) -> Result<ShardedSemaphore<T>, ClientError> {
        ConfigError::ensure(permits > 0, "permits", permits, "a semaphore needs 1 or more permits")?;
        Ok(ShardedSemaphore::new(self.clone(), Placement::new(name, options)?, owner, permits))
    }

    /// The sharded Barrier `name`, with 100 shards and the client's call timeout.
    pub fn barrier(&self, name: &str) -> Result<Barrier<T>, ClientError> {
        self.barrier_with(name, Sharded::default())
    }

    /// The sharded Barrier `name` with `options`.
    pub fn barrier_with(&self, name: &str, options: Sharded) -> Result<Barrier<T>, ClientError> {
        Ok(Barrier::new(self.clone(), Placement::new(name, options)?))
    }
}
