//! The object workloads on Coterie, `obj-create` and `obj-cas`, through the gRPC client's
//! bucket handle (issue 13: create-only put and ETag compare-and-swap).
//!
//! - `obj-create`: each op is a create-only put of a new key `bench/{run}/{client}/{n}` with
//!   a [`OBJECT_VALUE_BYTES`]-byte value of its own (the blob store is content-addressed, so
//!   equal values would measure deduplication, not writes). Before the timed loop,
//!   [`prepare`] checks that a second create-only put of one key is refused.
//! - `obj-cas`: one hot object shared by every client; each op gets it, then puts value+1
//!   if-match the ETag read, retried until it succeeds, exactly like `cp-cas`.
//!
//! The bucket handle exists only on `Client<GrpcTransport>` (its wire is the gRPC
//! `ObjectService`), so these workloads need a connector that makes gRPC clients; any other
//! transport is refused when the run starts, with [`BenchError::NeedsGrpc`].

use std::any::Any;
use std::time::{SystemTime, UNIX_EPOCH};

use coterie_client::bucket::{Bucket, GetOptions, PutOptions};
use coterie_client::{Client, ClientError, GrpcTransport, Transport};
use coterie_core::CoreError;
use futures_util::future::BoxFuture;

use crate::driver::ClientDriver;
use crate::error::BenchError;
use crate::workload::{OBJECT_VALUE_BYTES, Workload};

/// The bucket the object workloads write to.
pub const BUCKET: &str = "bench-objects";
/// The `obj-cas` workload's hot object.
pub const CAS_KEY: &str = "bench-cas";

/// A name unique to one run (its start time in µs and the process id), so that the keys a
/// later run creates are new too.
pub fn run_id() -> String {
    let micros = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros());
    format!("{micros:x}-{}", std::process::id())
}

/// Key `n` of client `client` in run `run`: `bench/{run}/{client}/{n}`.
pub fn create_key(run: &str, client: usize, n: u64) -> String {
    format!("bench/{run}/{client}/{n}")
}

/// The value written under `key` by `obj-create`: the key, padded (or cut) to
/// [`OBJECT_VALUE_BYTES`] bytes, so that no two keys share a value.
pub fn value_for(key: &str) -> Vec<u8> {
    let mut value = key.as_bytes().to_vec();
    value.resize(OBJECT_VALUE_BYTES, b'.');
    value
}

/// The decimal value of a counter object (an unparsable or empty value reads as 0).
pub fn parse_counter(value: &[u8]) -> i64 {
    std::str::from_utf8(value).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(0)
}

fn prepare_error(workload: Workload, reason: impl std::fmt::Display) -> BenchError {
    BenchError::Prepare { workload: workload.to_string(), system: "coterie".to_owned(), reason: reason.to_string() }
}

/// `client` as a gRPC client, the only kind with a bucket handle.
pub(crate) fn grpc<T: Transport>(client: &Client<T>, workload: Workload) -> Result<Client<GrpcTransport>, BenchError> {
    let any: &dyn Any = client;
    any.downcast_ref::<Client<GrpcTransport>>()
        .cloned()
        .ok_or_else(|| BenchError::NeedsGrpc { workload: workload.to_string(), transport: std::any::type_name::<T>() })
}

fn bucket(client: &Client<GrpcTransport>, workload: Workload) -> Result<Bucket, BenchError> {
    client.bucket(BUCKET).map_err(|err| prepare_error(workload, err))
}

/// One-time setup: for `obj-create`, a create-only put of a probe key and a second one that
/// must be refused as already existing; for `obj-cas`, the hot object (left as it is if an
/// earlier run made it).
pub(crate) async fn prepare(client: &Client<GrpcTransport>, workload: Workload, run: &str) -> Result<(), BenchError> {
    let bucket = bucket(client, workload)?;
    match workload {
        Workload::ObjCreate => {
            let key = format!("bench/{run}/probe");
            bucket
                .put(&key, &value_for(&key), PutOptions::create_only())
                .await
                .map_err(|e| prepare_error(workload, e))?;
            match bucket.put(&key, &value_for(&key), PutOptions::create_only()).await {
                Err(ClientError::Refused(CoreError::AlreadyExists { .. })) => Ok(()),
                Ok(_) => Err(prepare_error(workload, format!("a second create-only put of {key} was not refused"))),
                Err(err) => Err(prepare_error(workload, format!("a second create-only put of {key}: {err}"))),
            }
        }
        Workload::ObjCas => match bucket.put(CAS_KEY, b"0", PutOptions::create_only()).await {
            Ok(_) | Err(ClientError::Refused(CoreError::AlreadyExists { .. })) => Ok(()),
            Err(err) => Err(prepare_error(workload, err)),
        },
        other => Err(prepare_error(other, "not an object workload")),
    }
}

/// One simulated client of an object workload.
pub(crate) struct ObjectClient {
    client: Client<GrpcTransport>,
    bucket: Bucket,
    workload: Workload,
    run: String,
    index: usize,
    next: u64,
}

impl ObjectClient {
    /// Client number `index` of run `run`, on `client`'s connection.
    pub(crate) fn new(
        client: Client<GrpcTransport>,
        workload: Workload,
        run: &str,
        index: usize,
    ) -> Result<Self, BenchError> {
        let bucket = bucket(&client, workload)?;
        Ok(ObjectClient { client, bucket, workload, run: run.to_owned(), index, next: 0 })
    }

    async fn run(&mut self) -> Result<(), ClientError> {
        match self.workload {
            Workload::ObjCreate => {
                let key = create_key(&self.run, self.index, self.next);
                self.next += 1;
                self.bucket.put(&key, &value_for(&key), PutOptions::create_only()).await.map(drop)
            }
            _ => loop {
                let object = self.bucket.get(CAS_KEY, GetOptions::default()).await?;
                let next = parse_counter(&object.data).wrapping_add(1).to_string();
                match self.bucket.put(CAS_KEY, next.as_bytes(), PutOptions::if_match(&object.info.etag)).await {
                    Ok(_) => return Ok(()),
                    Err(ClientError::Refused(CoreError::PreconditionFailed { .. })) => {}
                    Err(err) => return Err(err),
                }
            },
        }
    }
}

impl ClientDriver for ObjectClient {
    fn op(&mut self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move { self.run().await.map_err(|err| err.to_string()) })
    }

    fn close(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let _ = self.client.close().await;
        })
    }
}
