//! An S3-compatible HTTP gateway over a Coterie node's object store (issue 13, DESIGN.md §5
//! and §9), built on `s3s`.
//!
//! Why a gateway of its own crate: `s3s` (its generated S3 model, XML and SigV4 code) is
//! slow to compile, and only the `coterie` binary needs it; the server and the client never
//! depend on it.
//!
//! **Mapping.** An S3 bucket is the `Bucket` structure of the same name in the CP group
//! `default` (every S3 bucket name, `[a-z0-9.-]{3,63}`, is a valid Coterie structure name;
//! any other name is refused with `InvalidBucketName`). A bucket exists once used:
//! CreateBucket and HeadBucket answer success for any valid name, and nothing else about
//! buckets (ListBuckets, DeleteBucket, policies) is served. Every conditional write is one
//! apply on the group's Raft log ([`coterie_server::object::ObjectStore`]), so racing
//! conditional writes are decided by log order: the losers get 412 `PreconditionFailed`, and
//! 409 `ConditionalRequestConflict` never happens here.
//!
//! **Any CP member.** Writes and linearizable reads are served by the group's leader, but a
//! gateway on any CP member serves every operation: it stores an object's bytes on a majority
//! of the group's members itself and sends the metadata call through the node's router, which
//! forwards it to the leader one hop and relays the answer (`coterie_server::engine::serve`,
//! the same path as the gRPC face's). A 503 `ServiceUnavailable` means no leader is known or
//! reachable yet (an election); S3 SDKs retry 503. A plain member hosts no replica of the
//! group and cannot place bytes: run gateways on CP members.
//!
//! **Auth.** Every request must carry a valid AWS Signature V4 (header or presigned query)
//! made with the configured access key and secret; unsigned and wrongly signed requests are
//! refused by `s3s` (403).
//!
//! * [`convert`]: HTTP-side values (ETags, dates, ranges, names) to the bucket's and back.
//! * [`error`]: the gateway's own errors and how object errors become S3 errors.
//! * [`gateway`]: the `s3s::S3` implementation ([`Gateway`]).
//! * [`multipart`]: multipart uploads, their part lists kept in the group's log.

pub mod convert;
pub mod error;
pub mod gateway;
pub mod multipart;

use std::net::SocketAddr;
use std::sync::Arc;

use hyper_util::rt::TokioIo;
use s3s::auth::SimpleAuth;
use s3s::service::{S3Service, S3ServiceBuilder};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use error::GatewayError;
pub use gateway::{Gateway, GatewayConfig};

/// The credentials every request must be signed with (Signature V4).
#[derive(Clone)]
pub struct Credentials {
    /// The access key id clients present.
    pub access_key: String,
    /// The secret they sign with.
    pub secret_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("access_key", &self.access_key).finish_non_exhaustive()
    }
}

/// The `s3s` service of `gateway`, refusing every request not signed with `credentials`.
pub fn service(gateway: Gateway, credentials: &Credentials) -> Result<S3Service, GatewayError> {
    if credentials.access_key.is_empty() || credentials.secret_key.is_empty() {
        return Err(GatewayError::MissingCredentials);
    }
    let mut builder = S3ServiceBuilder::new(gateway);
    builder.set_auth(SimpleAuth::from_single(credentials.access_key.clone(), credentials.secret_key.clone()));
    Ok(builder.build())
}

/// A running gateway: its address and the task accepting connections.
pub struct Running {
    /// The address it listens on.
    pub local_addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Running {
    /// Stops accepting connections (connections already open are dropped with it).
    pub fn stop(self) {
        self.task.abort();
    }
}

/// Serves `service` over HTTP/1.1 on `listener` until [`Running::stop`].
pub fn spawn(listener: TcpListener, service: S3Service) -> Result<Running, GatewayError> {
    let local_addr = listener.local_addr().map_err(GatewayError::Listen)?;
    let service = Arc::new(service);
    let task = tokio::spawn(async move {
        loop {
            // A failed accept (out of descriptors, a reset before accept) affects one
            // connection; the listener goes on.
            let Ok((stream, _)) = listener.accept().await else { continue };
            let service = Arc::clone(&service);
            tokio::spawn(async move {
                let connection = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service.as_ref().clone());
                // A connection's error (a client hanging up) ends only that connection.
                let _ = connection.await;
            });
        }
    });
    Ok(Running { local_addr, task })
}

/// Binds `address` and serves `gateway` there, signed with `credentials`.
pub async fn start(address: SocketAddr, gateway: Gateway, credentials: &Credentials) -> Result<Running, GatewayError> {
    let service = service(gateway, credentials)?;
    let listener = TcpListener::bind(address).await.map_err(|source| GatewayError::Bind { address, source })?;
    spawn(listener, service)
}
