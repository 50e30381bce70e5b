//! etcd v3 over its gRPC API (vendored protos, compiled without protoc).
//!
//! Client `i` connects to member `i mod n`, as etcd's own client spreads connections;
//! a follower forwards writes to the leader, as it does for any etcd client.
//! - `cp-incr`: txn "mod_revision == seen" then put value+1; on failure the txn returns the
//!   current value, and the client retries with it (etcd's STM pattern).
//! - `cp-cas`: a linearizable get, then the same txn, until it succeeds.
//! - `cp-get`: a linearizable (non-serializable) range get.
//! - `cp-lock`/`cp-lock-each`: the v3lock service's Lock then Unlock, held by a lease the
//!   client grants when it connects (60 s TTL, longer than a bounded run) and revokes on close.
//! - `obj-create`: txn "create_revision(key) == 0" then put, of a new key
//!   `bench/{run}/{client}/{n}` and a 100-byte value (the same keys and values as Coterie's);
//!   before the timed loop, a second create of one key must fail its compare.
//! - `obj-cas`: as `cp-cas`, on a key of its own (`bench-cas`).

use futures_util::future::BoxFuture;
use tonic::transport::{Channel, Endpoint};

use super::connect_error;
use crate::driver::{ClientDriver, Driver};
use crate::error::BenchError;
use crate::workload::{System, Workload};

#[allow(missing_docs, clippy::all, clippy::pedantic, reason = "generated code")]
mod etcdserverpb {
    tonic::include_proto!("etcdserverpb");
}
#[allow(missing_docs, clippy::all, clippy::pedantic, reason = "generated code")]
mod v3lockpb {
    tonic::include_proto!("v3lockpb");
}

use etcdserverpb::compare::{CompareResult, CompareTarget, TargetUnion};
use etcdserverpb::kv_client::KvClient;
use etcdserverpb::lease_client::LeaseClient;
use etcdserverpb::request_op::Request;
use etcdserverpb::response_op::Response;
use etcdserverpb::{Compare, LeaseGrantRequest, LeaseRevokeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest};
use v3lockpb::lock_client::LockClient;
use v3lockpb::{LockRequest, UnlockRequest};

const COUNTER: &[u8] = b"bench-counter";
const OBJECT: &[u8] = b"bench-cas";
const LOCK: &str = "bench-lock";
const LEASE_TTL_S: i64 = 60;

/// Runs a workload on etcd.
pub struct EtcdDriver {
    endpoints: Vec<String>,
    workload: Workload,
    /// Unique to this driver, so that `obj-create`'s keys are new in every run.
    run: String,
}

impl EtcdDriver {
    pub(super) fn new(endpoints: Vec<String>, workload: Workload) -> Self {
        EtcdDriver { endpoints, workload, run: crate::objects::run_id() }
    }
}

/// A transaction that puts `value` under `key` only if `key` does not exist.
fn create_txn(key: Vec<u8>, value: Vec<u8>) -> TxnRequest {
    TxnRequest {
        compare: vec![Compare {
            result: CompareResult::Equal as i32,
            target: CompareTarget::Create as i32,
            key: key.clone(),
            range_end: Vec::new(),
            target_union: Some(TargetUnion::CreateRevision(0)),
        }],
        success: vec![RequestOp {
            request: Some(Request::RequestPut(PutRequest { key, value, ..PutRequest::default() })),
        }],
        failure: Vec::new(),
    }
}

impl Driver for EtcdDriver {
    /// For `obj-create`: a create of a probe key, then a second one that must fail.
    fn prepare(&self) -> BoxFuture<'_, Result<(), BenchError>> {
        Box::pin(async move {
            if self.workload != Workload::ObjCreate {
                return Ok(());
            }
            let fail = |reason: String| BenchError::Prepare {
                workload: self.workload.to_string(),
                system: System::Etcd.to_string(),
                reason,
            };
            let address = self.endpoints.first().ok_or_else(|| fail("no endpoint".to_owned()))?;
            let channel = Endpoint::from_shared(format!("http://{address}"))
                .map_err(|e| fail(e.to_string()))?
                .connect()
                .await
                .map_err(|e| fail(e.to_string()))?;
            let mut kv = KvClient::new(channel);
            let key = format!("bench/{}/probe", self.run);
            let value = crate::objects::value_for(&key);
            for attempt in [true, false] {
                let txn = create_txn(key.clone().into_bytes(), value.clone());
                let created = kv.txn(txn).await.map_err(|e| fail(e.to_string()))?.into_inner().succeeded;
                if created != attempt {
                    return Err(fail(format!("create {attempt} of {key} succeeded: {created}")));
                }
            }
            Ok(())
        })
    }

    fn connect(&self, index: usize) -> BoxFuture<'_, Result<Box<dyn ClientDriver>, BenchError>> {
        Box::pin(async move {
            let fail = |err: &dyn std::fmt::Display| connect_error(System::Etcd, &self.endpoints, err);
            let address = &self.endpoints[index % self.endpoints.len()];
            let channel = Endpoint::from_shared(format!("http://{address}"))
                .map_err(|e| fail(&e))?
                .connect()
                .await
                .map_err(|e| fail(&e))?;
            let mut client = EtcdClient {
                kv: KvClient::new(channel.clone()),
                lease: LeaseClient::new(channel.clone()),
                lock: LockClient::new(channel),
                workload: self.workload,
                lock_name: if self.workload == Workload::CpLockEach { format!("{LOCK}-{index}") } else { LOCK.into() },
                lease_id: 0,
                seen: None,
                run: self.run.clone(),
                index,
                next: 0,
            };
            if matches!(self.workload, Workload::CpLock | Workload::CpLockEach) {
                let grant = LeaseGrantRequest { ttl: LEASE_TTL_S, id: 0 };
                client.lease_id = client.lease.lease_grant(grant).await.map_err(|e| fail(&e))?.into_inner().id;
            }
            Ok(Box::new(client) as Box<dyn ClientDriver>)
        })
    }
}

struct EtcdClient {
    kv: KvClient<Channel>,
    lease: LeaseClient<Channel>,
    lock: LockClient<Channel>,
    workload: Workload,
    lock_name: String,
    lease_id: i64,
    /// The counter's last seen (value, mod_revision), for `cp-incr`.
    seen: Option<(i64, i64)>,
    /// `obj-create`'s run, client number and next key number.
    run: String,
    index: usize,
    next: u64,
}

use crate::objects::parse_counter as parse;

impl EtcdClient {
    async fn get(&mut self, key: &[u8]) -> Result<(i64, i64), tonic::Status> {
        let range = RangeRequest { key: key.to_vec(), ..RangeRequest::default() };
        let kvs = self.kv.range(range).await?.into_inner().kvs;
        Ok(kvs.first().map_or((0, 0), |kv| (parse(&kv.value), kv.mod_revision)))
    }

    /// Sets the counter to `value + 1` if it was not modified since `revision`, returning the
    /// store's revision after the write (the counter's new mod_revision); on a conflict,
    /// returns the current (value, mod_revision).
    async fn cas(
        &mut self,
        key: &[u8],
        (value, revision): (i64, i64),
    ) -> Result<Result<i64, (i64, i64)>, tonic::Status> {
        let txn = TxnRequest {
            compare: vec![Compare {
                result: CompareResult::Equal as i32,
                target: CompareTarget::Mod as i32,
                key: key.to_vec(),
                range_end: Vec::new(),
                target_union: Some(TargetUnion::ModRevision(revision)),
            }],
            success: vec![RequestOp {
                request: Some(Request::RequestPut(PutRequest {
                    key: key.to_vec(),
                    value: (value + 1).to_string().into_bytes(),
                    ..PutRequest::default()
                })),
            }],
            failure: vec![RequestOp {
                request: Some(Request::RequestRange(RangeRequest { key: key.to_vec(), ..RangeRequest::default() })),
            }],
        };
        let answer = self.kv.txn(txn).await?.into_inner();
        if answer.succeeded {
            return Ok(Ok(answer.header.map_or(0, |h| h.revision)));
        }
        let current = answer.responses.into_iter().find_map(|r| match r.response {
            Some(Response::ResponseRange(range)) => {
                Some(range.kvs.first().map_or((0, 0), |kv| (parse(&kv.value), kv.mod_revision)))
            }
            _ => None,
        });
        Ok(Err(current.unwrap_or((0, 0))))
    }

    async fn run(&mut self) -> Result<(), tonic::Status> {
        match self.workload {
            Workload::CpIncr => {
                let mut seen = match self.seen {
                    Some(seen) => seen,
                    None => self.get(COUNTER).await?,
                };
                loop {
                    match self.cas(COUNTER, seen).await? {
                        Ok(revision) => {
                            self.seen = Some((seen.0 + 1, revision));
                            return Ok(());
                        }
                        Err(current) => seen = current,
                    }
                }
            }
            Workload::CpCas | Workload::ObjCas => loop {
                let key = if self.workload == Workload::CpCas { COUNTER } else { OBJECT };
                let seen = self.get(key).await?;
                if self.cas(key, seen).await?.is_ok() {
                    return Ok(());
                }
            },
            Workload::CpGet => self.get(COUNTER).await.map(drop),
            Workload::ObjCreate => {
                let key = crate::objects::create_key(&self.run, self.index, self.next);
                self.next += 1;
                let value = crate::objects::value_for(&key);
                if self.kv.txn(create_txn(key.clone().into_bytes(), value)).await?.into_inner().succeeded {
                    Ok(())
                } else {
                    Err(tonic::Status::already_exists(format!("{key} exists: a create-only put of a new key failed")))
                }
            }
            Workload::CpLock | Workload::CpLockEach => {
                let request = LockRequest { name: self.lock_name.clone().into_bytes(), lease: self.lease_id };
                let key = self.lock.lock(request).await?.into_inner().key;
                self.lock.unlock(UnlockRequest { key }).await.map(drop)
            }
            Workload::CpSemaphore => Err(tonic::Status::unimplemented("no etcd semaphore workload")),
            // Refused up front by `peers::driver`: etcd has no sharded structure.
            Workload::ShardedIncr
            | Workload::ShardedIncrEach
            | Workload::ShardedPut
            | Workload::ShardedGet
            | Workload::ShardedLock => Err(tonic::Status::unimplemented("no etcd driver for the sharded workloads")),
        }
    }
}

impl ClientDriver for EtcdClient {
    fn op(&mut self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move { self.run().await.map_err(|status| format!("etcd: {status}")) })
    }

    fn close(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if self.lease_id != 0 {
                let _ = self.lease.lease_revoke(LeaseRevokeRequest { id: self.lease_id }).await;
            }
        })
    }
}
