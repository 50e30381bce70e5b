//! The gRPC transport: how a [`Client`] reaches a real cluster over the public API
//! (`proto/coterie/v1/coterie.proto`).
//!
//! Each call's core command becomes its rpc's request with [`coterie_api::convert::to_request`]
//! and the rpc's response becomes the group's output again with
//! [`RpcResponse::into_output`], so this transport carries exactly what the in-process
//! transports carry, and the retry loop in [`Client`] stays the one place that decides what
//! to do next. Errors are sorted into the three outcomes the retry loop knows:
//!
//! - `not_leader` → [`TransportError::NotLeader`], pointing at the leader's endpoint index
//!   when the leader's advertised address is one of the endpoints the client was given
//!   (compared as `host:port` text, after dropping an `http://` prefix: give the client the
//!   addresses the members advertise). An address the client does not know gives `None`,
//!   and the client tries the next endpoint.
//! - `unavailable`, `timeout`, and failures that never reached a Coterie server (connection
//!   refused or reset, HTTP/2 errors, deadlines) → [`TransportError::Unavailable`]: the call
//!   may or may not have been applied, and a retry with the same invocation id is safe.
//! - `still_waiting` → [`TransportError::StillParked`]: a `keep_parked` call keeps its place.
//! - `outcome_unknown`, `quorum_not_met` → [`TransportError::OutcomeUnknown`]: it may have
//!   been applied; the retry (same invocation id) goes to the leader named, when known.
//! - everything else → [`TransportError::Refused`] with the typed core error the server sent.
//!
//! A call to a sharded structure ([`Target::Sharded`]) goes as its rpc with a sharded
//! `Call` target to the member the retry loop picks: the partition's owner when the client
//! routes it from the partition table ([`Transport::partition_table`] reads it from
//! `ClusterService.Status`), with [`coterie_api::NO_FORWARD_HEADER`]; otherwise any member,
//! without the header, which forwards it to the owner.
//!
//! One channel per endpoint, created when the client is and connected on first use, so an
//! endpoint that is down costs nothing until a call needs it and then fails fast (the
//! connect timeout). The call's time budget travels as `grpc-timeout`, so the server stops
//! working on a call its client has given up on, and also bounds the wait here.

use std::borrow::Cow;
use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use coterie_api::convert::{ConvertError, DEFAULT_GROUP, RpcRequest, RpcResponse, to_request};
use coterie_api::pb;
use coterie_api::status::ApiError;
use coterie_core::{CoreError, GroupOutput, Target};
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};

use crate::client::Client;
use crate::config::ClientConfig;
use crate::error::ClientError;
use crate::members::MemberBook;
use crate::route::RouteTable;
use crate::transport::{Call, Transport, TransportError};

/// A [`Transport`] over Coterie's gRPC API, one HTTP/2 channel per member.
///
/// It starts with the members given at connect and learns more as it goes (see
/// `members.rs`): a member named in a "not the leader" answer, or listed by
/// `ClusterService.Status` when [`Transport::refresh`] asks, gets a channel and an index.
#[derive(Clone, Debug)]
pub struct GrpcTransport {
    /// Shared so that a call's future owns what it needs without borrowing the transport.
    members: Arc<RwLock<MemberBook<Channel>>>,
    /// How long connecting to a member may take.
    connect_timeout: Duration,
}

/// Parses an endpoint given as `host:port` or `http://host:port` into its normalized
/// `host:port` and the tonic endpoint for it.
fn parse_endpoint(given: &str) -> Result<(String, Endpoint), ClientError> {
    let invalid = |reason: &str| ClientError::InvalidEndpoint { endpoint: given.to_owned(), reason: reason.to_owned() };
    let trimmed = given.trim();
    if trimmed.starts_with("https://") {
        return Err(invalid("TLS (https://) is not supported by this client yet; use host:port or http://host:port"));
    }
    let bare = trimmed.strip_prefix("http://").unwrap_or(trimmed).trim_end_matches('/');
    if bare.is_empty() {
        return Err(invalid("it is empty; give host:port, for example 127.0.0.1:7101"));
    }
    if bare.contains("://") {
        return Err(invalid("only http:// is accepted as a scheme; give host:port, for example 127.0.0.1:7101"));
    }
    if bare.contains('/') {
        return Err(invalid("it has a path; give only host:port, for example 127.0.0.1:7101"));
    }
    let endpoint = Endpoint::from_shared(format!("http://{bare}"))
        .map_err(|_| invalid("it is not a valid host:port; give something like 127.0.0.1:7101"))?;
    let uri = endpoint.uri();
    let (Some(host), Some(port)) = (uri.host(), uri.port_u16()) else {
        return Err(invalid("it has no port; give host:port, for example 127.0.0.1:7101"));
    };
    if host.is_empty() {
        return Err(invalid("it has no host; give host:port, for example 127.0.0.1:7101"));
    }
    Ok((format!("{host}:{port}"), endpoint))
}

/// A lazily connecting channel to `given`, with its normalized `host:port`.
fn channel_to(given: &str, connect_timeout: Duration) -> Result<(String, Channel), ClientError> {
    let (address, endpoint) = parse_endpoint(given)?;
    Ok((address, endpoint.connect_timeout(connect_timeout).tcp_nodelay(true).connect_lazy()))
}

/// Whether a failed rpc certainly never reached the server: the TCP connection was refused.
fn never_sent(status: &Status) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(status);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        source = err.source();
    }
    false
}

impl GrpcTransport {
    /// Channels to `endpoints` (`host:port`, or `http://host:port`), each connecting on its
    /// first call and giving up on a connection attempt after `connect_timeout`.
    ///
    /// Fails with [`ClientError::InvalidEndpoint`] for an empty list or an endpoint that
    /// is not `host:port`; it never connects, so members that are down are not an error
    /// here. Must be called inside a Tokio runtime (the channels' workers run on it).
    pub async fn connect<S: AsRef<str>>(endpoints: &[S], connect_timeout: Duration) -> Result<Self, ClientError> {
        if endpoints.is_empty() {
            return Err(ClientError::InvalidEndpoint {
                endpoint: String::new(),
                reason: "no endpoints were given; give at least one member's host:port".to_owned(),
            });
        }
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(ClientError::InvalidEndpoint {
                endpoint: endpoints[0].as_ref().to_owned(),
                reason: "channels need a Tokio runtime; connect from inside one".to_owned(),
            });
        }
        let mut members = Vec::with_capacity(endpoints.len());
        for given in endpoints {
            members.push(channel_to(given.as_ref(), connect_timeout)?);
        }
        Ok(GrpcTransport { members: Arc::new(RwLock::new(MemberBook::new(members))), connect_timeout })
    }

    /// The members this transport knows, as (member id once learned, `host:port`), in index
    /// order: the ones given at connect first, then the ones learned from the cluster.
    pub fn members(&self) -> Vec<(Option<u64>, String)> {
        self.book().members()
    }

    fn book(&self) -> std::sync::RwLockReadGuard<'_, MemberBook<Channel>> {
        self.members.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The index of the member a hint names (by address, else by id), learning it if it is
    /// new, so a redirect to a member the client was not given is followed.
    fn resolve(&self, id: Option<u64>, address: Option<&str>) -> Option<usize> {
        let timeout = self.connect_timeout;
        let mut book = self.members.write().unwrap_or_else(PoisonError::into_inner);
        book.resolve(id, address, |address| channel_to(address, timeout).ok())
    }

    /// The first answer to `ClusterService.Status` from the members asked in turn within
    /// `timeout`; every member it lists (and the answering member's id) is learned.
    pub(crate) async fn cluster_status(&self, timeout: Duration) -> Option<pb::ClusterStatusResponse> {
        self.cluster_status_where(timeout, |_| true).await
    }

    /// Like [`GrpcTransport::cluster_status`], skipping answers that `wanted` refuses (a
    /// member that has no partition table, for instance) for the next member's.
    async fn cluster_status_where(
        &self,
        timeout: Duration,
        wanted: impl Fn(&pb::ClusterStatusResponse) -> bool,
    ) -> Option<pb::ClusterStatusResponse> {
        let deadline = tokio::time::Instant::now() + timeout;
        for index in 0..self.endpoints() {
            let Some(channel) = self.book().get(index).map(|e| e.link.clone()) else { break };
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                break;
            }
            let mut client = pb::cluster_service_client::ClusterServiceClient::new(channel);
            let asked = client.status(request(pb::ClusterStatusRequest {}, Some(left), true));
            let Ok(Ok(status)) = tokio::time::timeout(left, asked).await else { continue };
            let status = status.into_inner();
            if !wanted(&status) {
                continue;
            }
            let answering = self.book().get(index).map(|e| e.address.clone());
            self.resolve(Some(status.member_id), answering.as_deref());
            for member in &status.members {
                if member.state != pb::MemberState::Removed as i32 && !member.address.is_empty() {
                    self.resolve(Some(member.id), Some(&member.address));
                }
            }
            return Some(status);
        }
        None
    }

    /// The channel to endpoint `endpoint` and its `host:port`, for the object calls.
    pub(crate) fn channel(&self, endpoint: usize) -> Option<(Channel, String)> {
        self.book().get(endpoint).map(|member| (member.link.clone(), member.address.clone()))
    }

    /// What a failed rpc means to the retry loop.
    pub(crate) fn classify(&self, status: &Status, operation: &'static str, address: &str) -> TransportError {
        match ApiError::from(status) {
            ApiError::Core(err) => TransportError::Refused(err),
            ApiError::NotLeader { leader_address, leader_id, .. } => {
                TransportError::NotLeader { leader: self.resolve(leader_id, leader_address.as_deref()) }
            }
            ApiError::Unavailable { .. } if never_sent(status) => {
                TransportError::Unreachable { reason: format!("{address} refused the connection") }
            }
            ApiError::Unavailable { message, .. } => {
                TransportError::Unavailable { reason: format!("{address} is unavailable: {message}") }
            }
            ApiError::Timeout { message } => {
                TransportError::Unavailable { reason: format!("{address} timed out: {message}") }
            }
            ApiError::StillWaiting { .. } => TransportError::StillParked,
            ApiError::OutcomeUnknown { leader_address, leader_id, message } => TransportError::OutcomeUnknown {
                leader: self.resolve(leader_id, leader_address.as_deref()),
                reason: format!("{address}: {message}"),
            },
            ApiError::QuorumNotMet { message, .. } => {
                TransportError::OutcomeUnknown { leader: None, reason: format!("{address}: {message}") }
            }
            ApiError::Internal { message } => TransportError::Refused(CoreError::Malformed {
                what: Cow::Borrowed("server answer"),
                reason: format!("{address} reported an internal error for {operation}: {message}"),
            }),
            ApiError::Other { detail_code: None, .. } if never_sent(status) => {
                TransportError::Unreachable { reason: format!("{address} refused the connection") }
            }
            // No Coterie detail: the status came from the connection, not from a server.
            ApiError::Other { code, message, detail_code: None }
                if matches!(
                    code,
                    Code::Unknown | Code::Cancelled | Code::Internal | Code::ResourceExhausted | Code::Aborted
                ) =>
            {
                TransportError::Unavailable { reason: format!("{address}: {code:?}: {message}") }
            }
            ApiError::Other { code, message, detail_code } => TransportError::Refused(CoreError::invalid_request(
                operation,
                format!(
                    "{address} answered {code:?} ({}): {message}; check that it runs a matching Coterie server",
                    detail_code.as_deref().unwrap_or("no detail")
                ),
            )),
        }
    }
}

/// A request with the call's time budget as `grpc-timeout`, asking the member not to
/// forward it ([`coterie_api::NO_FORWARD_HEADER`]) when `redirect`: this client follows
/// redirects itself and caches each group's leader and the partition table, so it goes
/// direct instead of paying two hops for every call.
fn request<T>(message: T, timeout: Option<Duration>, redirect: bool) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Some(timeout) = timeout {
        request.set_timeout(timeout);
    }
    if redirect {
        request.metadata_mut().insert(coterie_api::NO_FORWARD_HEADER, tonic::metadata::MetadataValue::from_static("1"));
    }
    request
}

/// Generates [`send`] from the rpc list: each [`RpcRequest`] variant goes out through its
/// service's generated client, and its answer comes back as the [`RpcResponse`] variant of
/// the same name.
macro_rules! sender {
    (
        $(
            $server_module:ident :: $service:ident as $server:ident, $client_module:ident :: $client:ident {
                $( $variant:ident $method:ident($request:ident) -> $response:ident; )*
            }
        )*
    ) => {
        /// Sends `rpc` on `channel` with the generated client of its service.
        async fn send(
            channel: Channel,
            rpc: RpcRequest,
            timeout: Option<Duration>,
            redirect: bool,
        ) -> Result<RpcResponse, Status> {
            match rpc {
                $($(
                    RpcRequest::$variant(message) => pb::$client_module::$client::new(channel)
                        .$method(request(message, timeout, redirect))
                        .await
                        .map(|response| RpcResponse::$variant(response.into_inner())),
                )*)*
            }
        }
    };
}

coterie_api::for_each_service!(sender);

/// A request the client cannot express on the wire, as the error the server would give.
fn unsendable(err: ConvertError) -> TransportError {
    let core = err.to_core().unwrap_or_else(|| CoreError::invalid_request("send", err.to_string()));
    TransportError::Refused(core)
}

impl Transport for GrpcTransport {
    fn endpoints(&self) -> usize {
        self.book().len()
    }

    /// Asks the members in turn for `ClusterService.Status` until one answers within
    /// `timeout`, and learns every member it lists (and the answering member's id).
    fn refresh(&self, timeout: Duration) -> impl Future<Output = ()> + Send {
        let transport = self.clone();
        async move {
            transport.cluster_status(timeout).await;
        }
    }

    /// The partition table from the first member that answers `ClusterService.Status` with
    /// one (a plain member has none), within `timeout`: every member it lists is learned, and
    /// each partition's owner becomes its endpoint index.
    fn partition_table(&self, timeout: Duration) -> impl Future<Output = Option<RouteTable>> + Send {
        let transport = self.clone();
        async move {
            let complete = |status: &pb::ClusterStatusResponse| {
                status.partitions.as_ref().is_some_and(|table| {
                    table.partitions > 0 && usize::try_from(table.partitions).is_ok_and(|n| n == table.owners.len())
                })
            };
            let table = transport.cluster_status_where(timeout, complete).await?.partitions?;
            let book = transport.book();
            let owners =
                table.owners.iter().map(|&owner| (owner != 0).then(|| book.index_of(owner)).flatten()).collect();
            Some(RouteTable {
                partitions: table.partitions,
                ring_epoch: table.ring_epoch,
                version: table.version,
                owners,
            })
        }
    }

    fn call(
        &self,
        endpoint: usize,
        call: Call,
        timeout: Option<Duration>,
    ) -> impl Future<Output = Result<GroupOutput, TransportError>> + Send {
        let member = self.book().get(endpoint).cloned();
        let transport = self.clone();
        async move {
            let Some(member) = member else {
                return Err(TransportError::Unreachable { reason: format!("there is no endpoint #{endpoint}") });
            };
            let mut rpc = match &call.target {
                Target::Cp { group } => to_request(group, &call.command, call.session, call.invocation),
                Target::Sharded { shards } => to_request(DEFAULT_GROUP, &call.command, call.session, call.invocation)
                    .and_then(|rpc| rpc.into_sharded(*shards)),
            }
            .map_err(unsendable)?;
            if call.stale_read {
                rpc = rpc.into_stale_read().map_err(unsendable)?;
            }
            if call.keep_parked {
                rpc = rpc.into_keep_parked().map_err(unsendable)?;
            }
            rpc = rpc.with_consistency(call.consistency).map_err(unsendable)?;
            let operation = rpc.operation();
            let sent = send(member.link, rpc, timeout, call.redirect);
            let answer = match timeout {
                Some(timeout) => {
                    tokio::time::timeout(timeout, sent).await.map_err(|_| TransportError::Unavailable {
                        reason: format!("{} did not answer {operation} within {timeout:?}", member.address),
                    })?
                }
                None => sent.await,
            };
            match answer {
                Ok(response) => response.into_output().map_err(|err| {
                    TransportError::Refused(CoreError::Malformed {
                        what: Cow::Borrowed("server answer"),
                        reason: format!("{} answered {operation} with a response out of range: {err}", member.address),
                    })
                }),
                Err(status) => Err(transport.classify(&status, operation, &member.address)),
            }
        }
    }
}

impl Client<GrpcTransport> {
    /// A client of the cluster whose members are at `endpoints` (`host:port`, or
    /// `http://host:port`), with the default [`ClientConfig`]. One member is enough: in the
    /// background, the client asks the first member that answers for the cluster's member
    /// list (`ClusterService.Status`) and adds the members it was not given, and it follows
    /// redirects to members it does not know. It does not wait for any of that: members that
    /// are down are skipped when a call needs one.
    pub async fn connect<S: AsRef<str>>(endpoints: &[S]) -> Result<Self, ClientError> {
        Self::connect_with(endpoints, ClientConfig::default()).await
    }

    /// Like [`Client::connect`], with `config`. A connection attempt is bounded by the
    /// config's `attempt_timeout`. A `config` that [`ClientConfig::validate`] refuses is
    /// answered [`ClientError::InvalidConfig`] before anything is connected.
    pub async fn connect_with<S: AsRef<str>>(endpoints: &[S], config: ClientConfig) -> Result<Self, ClientError> {
        let config = config.validate()?;
        let transport = GrpcTransport::connect(endpoints, config.attempt_timeout).await?;
        let learning = transport.clone();
        let timeout = config.attempt_timeout;
        tokio::spawn(async move { learning.refresh(timeout).await });
        Ok(Client::new(transport, config))
    }

    /// The members this client knows, as (member id once learned, `host:port`): the ones it
    /// was given, then the ones it learned from the cluster.
    pub fn members(&self) -> Vec<(Option<u64>, String)> {
        self.shared.transport.members()
    }
}

#[cfg(test)]
#[path = "grpc_tests.rs"]
mod tests;
