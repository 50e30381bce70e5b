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
use super::blob_client::MAX_BLOB_MESSAGE_BYTES;
use super::blob_service::BlobServer;
use super::cluster::ClusterServer;
use super::handoff::MAX_HANDOFF_BYTES;
use super::health::{self, HealthServer, ReflectionServers};
use super::object_service::ObjectServer;
use super::raft_client::{CLUSTER_SECRET_HEADER, MAX_RAFT_MESSAGE_BYTES, secret_matches};
use super::raft_service::RaftServer;
use super::sharded::PartitionServer;
use crate::shard::forward::MAX_FORWARD_BYTES;

use pb::admin_service_server::{self as admin, AdminServiceServer};
use pb::blob_service_server::{self as blob, BlobServiceServer};
use pb::cluster_service_server::{self as cluster, ClusterServiceServer};
use pb::object_service_server::{self as objects, ObjectServiceServer};
use pb::partition_service_server::{self as partition, PartitionServiceServer};
use pb::raft_service_server::{self as raft, RaftServiceServer};

/// Generates [`ApiServers`] from the rpc list: the generated server of every structure and
/// session service, each over the one [`Api`] handler, and the dispatch on their names.
macro_rules! api_servers {
    (
        $(
            $server_module:ident :: $service:ident as $server:ident, $client_module:ident :: $client:ident {
                $( $variant:ident $method:ident($request:ident) -> $response:ident; )*
            }
        )*
    ) => {
        /// The generated servers of the client-facing services, all over one [`Api`].
        #[derive(Clone)]
        struct ApiServers {
            $($server_module: pb::$server_module::$server<Api>,)*
        }

        impl ApiServers {
            fn new(api: Api) -> Self {
                ApiServers { $($server_module: pb::$server_module::$server::new(api.clone()),)* }
            }

            /// The full gRPC names of these services.
            const NAMES: &'static [&'static str] = &[$(pb::$server_module::SERVICE_NAME),*];

            /// Whether `service` (a full gRPC service name) is one of these.
            fn serves(service: &str) -> bool {
                matches!(service, $(pb::$server_module::SERVICE_NAME)|*)
            }

            /// Serves `request`, addressed to `service`, one of these services (see
            /// [`ApiServers::serves`]); another service is answered `UNIMPLEMENTED`.
            fn call(&mut self, service: &str, request: http::Request<Body>) -> BoxFuture<http::Response<Body>, Infallible> {
                match service {
                    $(pb::$server_module::SERVICE_NAME => self.$server_module.call(request),)*
                    other => unimplemented_service(other),
                }
            }
        }
    };
}

coterie_api::for_each_service!(api_servers);

/// The full gRPC names of the services that serve data through a CP group: the structure
/// and session services and the object service (what `host/health.rs` reports per service).
pub(super) fn data_services() -> impl Iterator<Item = &'static str> {
    ApiServers::NAMES.iter().copied().chain([objects::SERVICE_NAME])
}

/// Every service of a node, dispatched on the request path's service name.
#[derive(Clone)]
struct Dispatch {
    api: ApiServers,
    cluster: ClusterServiceServer<ClusterServer>,
    objects: ObjectServiceServer<ObjectServer>,
    admin: AdminServiceServer<AdminServer>,
    raft: RaftServiceServer<RaftServer>,
    blob: BlobServiceServer<BlobServer>,
    /// `grpc.health.v1.Health`, fed by `host/health.rs`.
    health: HealthServer,
    /// Server reflection, v1 and v1alpha (what `grpcurl` asks).
    reflection: ReflectionServers,
    partition: PartitionServiceServer<PartitionServer>,
    /// The cluster secret Raft messages must carry, if one is configured.
    secret: Option<Arc<str>>,
}

impl Dispatch {
    fn new(inner: &Arc<Inner>, health: HealthServer) -> Self {
        Dispatch {
            api: ApiServers::new(Api::new(Arc::clone(inner))),
            cluster: ClusterServiceServer::new(ClusterServer::new(Arc::clone(inner))),
            objects: ObjectServiceServer::new(ObjectServer::new(Arc::clone(inner))),
            admin: AdminServiceServer::new(AdminServer::new(Arc::clone(inner))),
            // A full snapshot travels in one message.
            raft: RaftServiceServer::new(RaftServer::new(Arc::clone(inner)))
                .max_decoding_message_size(MAX_RAFT_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_RAFT_MESSAGE_BYTES),
            blob: BlobServiceServer::new(BlobServer::new(Arc::clone(inner)))
                .max_decoding_message_size(MAX_BLOB_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_BLOB_MESSAGE_BYTES),
            health,
            reflection: ReflectionServers::new(),
            // A partition's state moves in one handoff message.
            partition: PartitionServiceServer::new(PartitionServer::new(Arc::clone(inner)))
                .max_decoding_message_size(MAX_FORWARD_BYTES.max(MAX_HANDOFF_BYTES))
                .max_encoding_message_size(MAX_FORWARD_BYTES.max(MAX_HANDOFF_BYTES)),
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
        let path = request.uri().path().to_owned();
        let service = path.strip_prefix('/').and_then(|rest| rest.split_once('/')).map_or("", |(service, _)| service);
        if ApiServers::serves(service) {
            return self.api.call(service, request);
        }
        match service {
            cluster::SERVICE_NAME => self.cluster.call(request),
            health::HEALTH_SERVICE => self.health.call(request),
            health::REFLECTION_V1 => self.reflection.v1.call(request),
            health::REFLECTION_V1ALPHA => self.reflection.v1alpha.call(request),
            objects::SERVICE_NAME => self.objects.call(request),
            raft::SERVICE_NAME if self.raft_allowed(&request) => self.raft.call(request),
            // Blobs become object bytes the group serves: the same secret as Raft messages.
            blob::SERVICE_NAME if self.raft_allowed(&request) => self.blob.call(request),
            // A forwarded call is served as its caller's: the same secret as Raft messages.
            partition::SERVICE_NAME if self.raft_allowed(&request) => self.partition.call(request),
            // Adding a member makes it a voter that receives every group's data: the same
            // secret as Raft messages.
            admin::SERVICE_NAME if self.raft_allowed(&request) => self.admin.call(request),
            admin::SERVICE_NAME => {
                let status = Status::unauthenticated(
                    "admin calls need this cluster's secret (x-coterie-cluster-secret): pass --cluster-secret-file",
                );
                Box::pin(async move { Ok(status.into_http()) })
            }
            raft::SERVICE_NAME | blob::SERVICE_NAME | partition::SERVICE_NAME => {
                let status = Status::unauthenticated(
                    "Raft messages need this cluster's secret (x-coterie-cluster-secret): start every member with the same --cluster-secret-file",
                );
                Box::pin(async move { Ok(status.into_http()) })
            }
            _ => unimplemented_service(&path),
        }
    }
}

/// The answer to a request for a service (or path) this server does not have.
fn unimplemented_service(path: &str) -> BoxFuture<http::Response<Body>, Infallible> {
    let status = Status::unimplemented(format!("this server has no gRPC service at {path:?}"));
    Box::pin(async move { Ok(status.into_http()) })
}

/// Serves every service of the node on `listener` until `stop` fires (or is dropped).
pub(super) async fn serve(inner: Arc<Inner>, listener: TcpListener, health: HealthServer, stop: oneshot::Receiver<()>) {
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let dispatch = Dispatch::new(&inner, health);
    drop(inner);
    let stopped = async {
        let _ = stop.await;
    };
    // The server only fails on errors of the listener itself; the node's owner sees that
    // as calls failing to connect.
    let _ = Server::builder().serve_with_incoming_shutdown(dispatch, incoming, stopped).await;
}
