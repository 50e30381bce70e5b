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
const LOCK: &str = "bench-lock";
const LEASE_TTL_S: i64 = 60;

/// Runs a workload on etcd.
pub struct EtcdDriver {
    endpoints: Vec<String>,
    workload: Workload,
}

impl EtcdDriver {
    pub(super) fn new(endpoints: Vec<String>, workload: Workload) -> Self {
        EtcdDriver { endpoints, workload }
    }
}

impl Driver for EtcdDriver {
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
}

fn parse(value: &[u8]) -> i64 {
    std::str::from_utf8(value).ok().and_then(|v| v.parse().ok()).unwrap_or(0)
}

impl EtcdClient {
    async fn get(&mut self) -> Result<(i64, i64), tonic::Status> {
        let range = RangeRequest { key: COUNTER.to_vec(), ..RangeRequest::default() };
        let kvs = self.kv.range(range).await?.into_inner().kvs;
        Ok(kvs.first().map_or((0, 0), |kv| (parse(&kv.value), kv.mod_revision)))
    }

    /// Sets the counter to `value + 1` if it was not modified since `revision`, returning the
    /// store's revision after the write (the counter's new mod_revision); on a conflict,
    /// returns the current (value, mod_revision).
    async fn cas(&mut self, (value, revision): (i64, i64)) -> Result<Result<i64, (i64, i64)>, tonic::Status> {
        let txn = TxnRequest {
            compare: vec![Compare {
                result: CompareResult::Equal as i32,
                target: CompareTarget::Mod as i32,
                key: COUNTER.to_vec(),
                range_end: Vec::new(),
                target_union: Some(TargetUnion::ModRevision(revision)),
            }],
            success: vec![RequestOp {
                request: Some(Request::RequestPut(PutRequest {
                    key: COUNTER.to_vec(),
                    value: (value + 1).to_string().into_bytes(),
                    ..PutRequest::default()
                })),
            }],
            failure: vec![RequestOp {
                request: Some(Request::RequestRange(RangeRequest { key: COUNTER.to_vec(), ..RangeRequest::default() })),
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
                    None => self.get().await?,
                };
                loop {
                    match self.cas(seen).await? {
                        Ok(revision) => {
                            self.seen = Some((seen.0 + 1, revision));
                            return Ok(());
                        }
                        Err(current) => seen = current,
                    }
                }
            }
            Workload::CpCas => loop {
                let seen = self.get().await?;
                if self.cas(seen).await?.is_ok() {
                    return Ok(());
                }
            },
            Workload::CpGet => self.get().await.map(drop),
            Workload::CpLock | Workload::CpLockEach => {
                let request = LockRequest { name: self.lock_name.clone().into_bytes(), lease: self.lease_id };
                let key = self.lock.lock(request).await?.into_inner().key;
                self.lock.unlock(UnlockRequest { key }).await.map(drop)
            }
            Workload::CpSemaphore => Err(tonic::Status::unimplemented("no etcd semaphore workload")),
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
