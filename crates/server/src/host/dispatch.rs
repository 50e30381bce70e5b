//! Serving several gRPC services on one port without tonic's `router` feature.
//!
//! tonic 0.14's `Server::add_service` lives behind its `router` feature, which brings in
//! axum only to match a path prefix (`cargo tree` shows it adds axum, axum-core, matchit,
//! memchr and mime to this crate's build; the compile time was not measured, the routing
//! below is a few lines, so the crates were not worth taking on). A gRPC path is
//! `/<package>.<Service>/<Method>`, so the routing is one `match` on the service name: this
//! module does it in a small tower `Service` and hands it to tonic's server
//! (`Server::serve_with_incoming_shutdown`, available without `router`), which still owns
//! HTTP/2, connection handling and graceful shutdown. An unknown service answers
//! `UNIMPLEMENTED`, as a generated server does for an unknown method.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use coterie_api::pb;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::Status;
use tonic::body::Body;
use tonic::codegen::{BoxFuture, Service, http};
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

use super::Inner;
use super::admin::AdminServer;
use super::api::Api;
use super::cluster::ClusterServer;
use super::raft_service::RaftServer;
use crate::cp::grpc::{CLUSTER_SECRET_HEADER, MAX_RAFT_MESSAGE_BYTES, secret_matches};

use pb::admin_service_server::{self as admin, AdminServiceServer};
use pb::atomic_long_service_server::{self as atomic_long, AtomicLongServiceServer};
use pb::atomic_reference_service_server::{self as atomic_reference, AtomicReferenceServiceServer};
use pb::cluster_service_server::{self as cluster, ClusterServiceServer};
use pb::count_down_latch_service_server::{self as count_down_latch, CountDownLatchServiceServer};
use pb::fenced_lock_service_server::{self as fenced_lock, FencedLockServiceServer};
use pb::raft_service_server::{self as raft, RaftServiceServer};
use pb::semaphore_service_server::{self as semaphore, SemaphoreServiceServer};
use pb::session_service_server::{self as session, SessionServiceServer};

/// Every service of a node, dispatched on the request path's service name.
#[derive(Clone)]
struct Dispatch {
    atomic_long: AtomicLongServiceServer<Api>,
    atomic_reference: AtomicReferenceServiceServer<Api>,
    fenced_lock: FencedLockServiceServer<Api>,
    semaphore: SemaphoreServiceServer<Api>,
    count_down_latch: CountDownLatchServiceServer<Api>,
    session: SessionServiceServer<Api>,
    cluster: ClusterServiceServer<ClusterServer>,
    admin: AdminServiceServer<AdminServer>,
    raft: RaftServiceServer<RaftServer>,
    /// The cluster secret Raft messages must carry, if one is configured.
    secret: Option<Arc<str>>,
}

impl Dispatch {
    fn new(inner: &Arc<Inner>) -> Self {
        let api = Api::new(Arc::clone(inner));
        Dispatch {
            atomic_long: AtomicLongServiceServer::new(api.clone()),
            atomic_reference: AtomicReferenceServiceServer::new(api.clone()),
            fenced_lock: FencedLockServiceServer::new(api.clone()),
            semaphore: SemaphoreServiceServer::new(api.clone()),
            count_down_latch: CountDownLatchServiceServer::new(api.clone()),
            session: SessionServiceServer::new(api),
            cluster: ClusterServiceServer::new(ClusterServer::new(Arc::clone(inner))),
            admin: AdminServiceServer::new(AdminServer::new(Arc::clone(inner))),
            // A full snapshot travels in one message.
            raft: RaftServiceServer::new(RaftServer::new(Arc::clone(inner)))
                .max_decoding_message_size(MAX_RAFT_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_RAFT_MESSAGE_BYTES),
            secret: inner.config.cluster_secret.as_deref().map(Arc::from),
        }
    }

    /// Whether a Raft message may be served: always without a cluster secret; with one,
    /// only if the request carries it. Checked on the headers, before the body (up to
    /// [`MAX_RAFT_MESSAGE_BYTES`]) is read.
    fn raft_allowed(&self, request: &http::Request<Body>) -> bool {
        match &self.secret {
            None => true,
            Some(secret) => request
                .headers()
                .get(CLUSTER_SECRET_HEADER)
                .is_some_and(|given| secret_matches(given.as_bytes(), secret.as_bytes())),
        }
    }
}

impl Service<http::Request<Body>> for Dispatch {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // The generated servers are always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let path = request.uri().path();
        let service = path.strip_prefix('/').and_then(|rest| rest.split_once('/')).map_or("", |(service, _)| service);
        match service {
            atomic_long::SERVICE_NAME => self.atomic_long.call(request),
            atomic_reference::SERVICE_NAME => self.atomic_reference.call(request),
            fenced_lock::SERVICE_NAME => self.fenced_lock.call(request),
            semaphore::SERVICE_NAME => self.semaphore.call(request),
            count_down_latch::SERVICE_NAME => self.count_down_latch.call(request),
            session::SERVICE_NAME => self.session.call(request),
            cluster::SERVICE_NAME => self.cluster.call(request),
            raft::SERVICE_NAME if self.raft_allowed(&request) => self.raft.call(request),
            // Adding a member makes it a voter that receives every group's data: the same
            // secret as Raft messages.
            admin::SERVICE_NAME if self.raft_allowed(&request) => self.admin.call(request),
            admin::SERVICE_NAME => {
                let status = Status::unauthenticated(
                    "admin calls need this cluster's secret (x-coterie-cluster-secret): pass --cluster-secret-file",
                );
                Box::pin(async move { Ok(status.into_http()) })
            }
            raft::SERVICE_NAME => {
                let status = Status::unauthenticated(
                    "Raft messages need this cluster's secret (x-coterie-cluster-secret): start every member with the same --cluster-secret-file",
                );
                Box::pin(async move { Ok(status.into_http()) })
            }
            _ => {
                let status = Status::unimplemented(format!("this server has no gRPC service at {path:?}"));
                Box::pin(async move { Ok(status.into_http()) })
            }
        }
    }
}

/// Serves every service of the node on `listener` until `stop` fires (or is dropped).
pub(super) async fn serve(inner: Arc<Inner>, listener: TcpListener, stop: oneshot::Receiver<()>) {
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let dispatch = Dispatch::new(&inner);
    drop(inner);
    let stopped = async {
        let _ = stop.await;
    };
    // The server only fails on errors of the listener itself; the node's owner sees that
    // as calls failing to connect.
    let _ = Server::builder().serve_with_incoming_shutdown(dispatch, incoming, stopped).await;
}
