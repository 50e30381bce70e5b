//! The gRPC conventions load balancers, Kubernetes probes and `grpcurl` expect of a server:
//! the standard health service (`grpc.health.v1.Health`) and server reflection
//! (`grpc.reflection.v1` and `v1alpha`).
//!
//! Health says two things, refreshed every [`HEALTH_EVERY`] by [`run`]:
//!
//! - the server as a whole (service `""`): `SERVING` while the member runs and has not been
//!   removed, `NOT_SERVING` once it is shutting down (so a balancer drains it first);
//! - each data service (the structure and session services and `ObjectService`, by their
//!   full names): `SERVING` only while the `default` CP group has a quorum as this member
//!   sees it: the group's leader confirms its leadership with a quorum when asked (Raft's
//!   ReadIndex, the probe the blob collector's barrier uses too). A call to one of these services without a quorum would only
//!   wait and fail, so a balancer should send it elsewhere. A member that hosts no CP group
//!   (a plain member) reports them `NOT_SERVING`.
//!
//! Reflection describes `coterie.proto` as compiled (`coterie_api::pb::FILE_DESCRIPTOR_SET`).

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use coterie_api::convert::DEFAULT_GROUP;
use coterie_api::pb;
use tonic::body::Body;
use tonic::codegen::{BoxFuture, Service, http};
use tonic_health::ServingStatus;
use tonic_health::pb::health_server::{self, HealthServer as GeneratedHealthServer};
use tonic_health::server::{HealthReporter, HealthService};

use super::Inner;
use super::dispatch::data_services;
use crate::cp::CpNode;

/// How often the statuses are refreshed.
pub const HEALTH_EVERY: Duration = Duration::from_millis(500);

/// The health service's full name.
pub(super) const HEALTH_SERVICE: &str = health_server::SERVICE_NAME;
/// Server reflection v1's full name.
pub(super) const REFLECTION_V1: &str = "grpc.reflection.v1.ServerReflection";
/// Server reflection v1alpha's full name (what older `grpcurl` releases ask).
pub(super) const REFLECTION_V1ALPHA: &str = "grpc.reflection.v1alpha.ServerReflection";

/// The health service of a node.
pub(super) type HealthServer = GeneratedHealthServer<HealthService>;

/// A node's health statuses and the service that answers them.
pub(super) fn health() -> (HealthReporter, HealthServer) {
    let reporter = HealthReporter::new();
    let server = GeneratedHealthServer::new(HealthService::from_health_reporter(reporter.clone()));
    (reporter, server)
}

/// A gRPC service behind a type-erased handle.
type Handler = Arc<dyn Fn(http::Request<Body>) -> BoxFuture<http::Response<Body>, Infallible> + Send + Sync>;

fn handler<S>(service: S) -> Handler
where
    S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    Arc::new(move |request| Box::pin(service.clone().call(request)))
}

/// Both reflection services, or the refusal of each if the descriptor set did not decode
/// (a build defect; the reflection test would fail).
#[derive(Clone)]
pub(super) struct ReflectionServers {
    /// `grpc.reflection.v1.ServerReflection`.
    pub(super) v1: Reflection,
    /// `grpc.reflection.v1alpha.ServerReflection`.
    pub(super) v1alpha: Reflection,
}

/// One reflection service.
#[derive(Clone)]
pub(super) struct Reflection(Result<Handler, String>);

impl Reflection {
    /// Serves `request`.
    pub(super) fn call(&self, request: http::Request<Body>) -> BoxFuture<http::Response<Body>, Infallible> {
        match &self.0 {
            Ok(handler) => handler(request),
            Err(reason) => {
                let status = tonic::Status::internal(format!("server reflection is unavailable: {reason}"));
                Box::pin(async move { Ok(status.into_http()) })
            }
        }
    }
}

impl ReflectionServers {
    pub(super) fn new() -> Self {
        let builder = || {
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        };
        ReflectionServers {
            v1: Reflection(builder().build_v1().map(handler).map_err(|err| err.to_string())),
            v1alpha: Reflection(builder().build_v1alpha().map(handler).map_err(|err| err.to_string())),
        }
    }
}

/// How long the quorum probe of one refresh may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// Whether the `default` group has a quorum as this member sees it: its leader (this member,
/// or the one it follows, asked over the member-to-member wire) confirms its leadership with
/// a quorum (Raft's ReadIndex) within [`PROBE_TIMEOUT`].
async fn has_quorum(inner: &Inner, node: &CpNode) -> bool {
    match node.leader() {
        Some((leader, _)) if leader == node.id() => node.read_index(PROBE_TIMEOUT).await.is_ok(),
        Some((leader, _)) => inner.peers.read_index(leader, DEFAULT_GROUP, PROBE_TIMEOUT).await.is_ok(),
        None => false,
    }
}

/// The statuses now: the server's and the data services'.
async fn statuses(inner: &Inner) -> (ServingStatus, ServingStatus) {
    let up = !inner.stopping.load(Ordering::SeqCst) && !inner.retired.load(Ordering::SeqCst);
    let default = inner.running().into_iter().find(|(name, _)| name == DEFAULT_GROUP);
    let quorum = match default {
        Some((_, node)) if up => has_quorum(inner, &node).await,
        _ => false,
    };
    let status = |ok: bool| if ok { ServingStatus::Serving } else { ServingStatus::NotServing };
    (status(up), status(up && quorum))
}

/// Sets every status from [`statuses`].
pub(super) async fn refresh(inner: &Inner, reporter: &HealthReporter) {
    let (server, data) = statuses(inner).await;
    reporter.set_service_status("", server).await;
    for service in data_services() {
        reporter.set_service_status(service, data).await;
    }
}

/// Refreshes the statuses every [`HEALTH_EVERY`] until the node stops.
pub(super) async fn run(inner: Arc<Inner>, reporter: HealthReporter) {
    loop {
        refresh(&inner, &reporter).await;
        if inner.stopping.load(Ordering::SeqCst) {
            return;
        }
        tokio::time::sleep(HEALTH_EVERY).await;
    }
}
