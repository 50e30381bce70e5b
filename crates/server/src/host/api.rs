//! The public gRPC services over the node's groups.
//!
//! Handlers are thin on purpose: every rpc is the same four steps, written once in
//! [`Api::run`]: the request becomes a routed group command (`coterie_api::convert`), the
//! named group's local replica is found or started, the command goes to Raft (reads without
//! an invocation id take the ReadIndex path, everything else the log), and the group's
//! output becomes the rpc's response. The group is reached through the router
//! ([`Inner::route`](super::Inner)) as an [`Engine`](crate::Engine), and every error is an
//! [`EngineError`] made a status by `coterie_api::status::from_engine`, the one mapping, so a
//! client sees the same error shapes whichever rpc failed.
//!
//! A call this member cannot serve (it does not lead the group) is forwarded to the member
//! that does and the answer relayed (`host/cp_forward.rs`), unless the request carries
//! [`coterie_api::NO_FORWARD_HEADER`]: then the caller gets the redirect, as a client that
//! follows redirects itself wants.
//!
//! A call runs until the request's gRPC deadline (`grpc-timeout`), capped by
//! [`NodeConfig::max_call_timeout`](super::NodeConfig::max_call_timeout), or for
//! [`NodeConfig::default_call_timeout`](super::NodeConfig::default_call_timeout) without
//! one. Blocking calls without their own timeout (Lock, Acquire, Await) wait that long.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use coterie_api::convert::{FromOutput, IntoCommand};
use coterie_api::pb;
use coterie_api::status;
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};

use super::Inner;
use super::refusal_log::RateLimited;
use crate::engine::{self, CallOptions};
use crate::request::Request as CpRequest;

/// The public services of a node (every service but Raft and Cluster share this handler).
#[derive(Clone)]
pub(super) struct Api {
    inner: Arc<Inner>,
    /// Refused and failed calls logged, one line per status code every [`LOG_EVERY`].
    refusals: Arc<Mutex<RateLimited<tonic::Code>>>,
}

/// At most one log line per status code of refused or failed calls this often.
const LOG_EVERY: Duration = Duration::from_secs(10);

impl Api {
    pub(super) fn new(inner: Arc<Inner>) -> Self {
        Api { inner, refusals: Arc::new(Mutex::new(RateLimited::new(LOG_EVERY))) }
    }

    /// Logs a call answered `status` (rate-limited): the caller's mistakes (invalid input,
    /// a wrong kind, a missing session) as info, the cluster's failures (unavailable,
    /// timeouts, internal errors) as warnings.
    fn log_refusal(&self, operation: &'static str, status: &Status) {
        let code = status.code();
        let admitted = self.refusals.lock().unwrap_or_else(PoisonError::into_inner).admit(code, Instant::now());
        let Some(skipped) = admitted else { return };
        let more = if skipped > 0 { format!(" ({skipped} more like it since the last line)") } else { String::new() };
        let failure = matches!(
            code,
            tonic::Code::Unavailable
                | tonic::Code::DeadlineExceeded
                | tonic::Code::Internal
                | tonic::Code::Unknown
                | tonic::Code::DataLoss
                | tonic::Code::ResourceExhausted
        );
        if failure {
            tracing::warn!(target: "coterie::calls", "{operation} failed ({code:?}): {}{more}", status.message());
        } else {
            tracing::info!(target: "coterie::calls", "{operation} refused ({code:?}): {}{more}", status.message());
        }
    }

    /// Runs one structure or session rpc: convert, route, apply, answer.
    async fn run<Q: IntoCommand, R: FromOutput>(&self, request: Request<Q>) -> Result<Response<R>, Status> {
        let operation = Q::OPERATION;
        let config = &self.inner.config;
        let timeout = call_timeout(request.metadata(), config.default_call_timeout, config.max_call_timeout);
        let redirect = request.metadata().contains_key(coterie_api::NO_FORWARD_HEADER);
        let routed = request.into_inner().into_command().map_err(|err| {
            let status = Status::from(err);
            self.log_refusal(operation, &status);
            status
        })?;
        let call =
            CpRequest { command: routed.command, session: routed.caller.session, invocation: routed.caller.invocation };
        let options = CallOptions {
            timeout,
            stale_read: routed.stale_read,
            keep_parked: routed.keep_parked,
            consistency: routed.consistency,
            redirect,
        };
        let output = engine::serve(self.inner.as_ref(), &routed.target, call, options).await.map_err(|err| {
            let status = status::from_engine(&err);
            // Redirects and still-waiting answers route and resume calls: not problems.
            if !matches!(
                err,
                coterie_core::EngineError::Redirect { .. } | coterie_core::EngineError::StillParked { .. }
            ) {
                self.log_refusal(operation, &status);
            }
            status
        })?;
        Ok(Response::new(R::from_output(output)?))
    }
}

/// How long a call may run: the request's deadline, capped by `max`; `default` without
/// one. A little is kept back from the deadline so that this node's `timeout` answer, not
/// the transport's cancellation, reaches the client.
pub(super) fn call_timeout(metadata: &MetadataMap, default: Duration, max: Duration) -> Duration {
    let deadline = metadata.get("grpc-timeout").and_then(|value| value.to_str().ok()).and_then(parse_grpc_timeout);
    match deadline {
        Some(deadline) => {
            let margin = (deadline / 20).min(Duration::from_millis(50));
            deadline.saturating_sub(margin).min(max)
        }
        None => default.min(max),
    }
}

/// Parses a `grpc-timeout` header value: up to 8 ASCII digits and a unit (`H`, `M`, `S`,
/// `m`, `u`, `n`), as the gRPC over HTTP/2 spec defines it. `None` when malformed.
pub fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    let split = value.len().checked_sub(1)?;
    if !value.is_char_boundary(split) {
        return None;
    }
    let (digits, unit) = value.split_at(split);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.checked_mul(3600)?),
        "M" => Duration::from_secs(amount.checked_mul(60)?),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

/// Implements every generated service trait of the rpc list for [`Api`]: every rpc is
/// [`Api::run`].
macro_rules! services {
    (
        $(
            $server_module:ident :: $service:ident as $server:ident, $client_module:ident :: $client:ident {
                $( $variant:ident $method:ident($request:ident) -> $response:ident; )*
            }
        )*
    ) => {
        $(
            #[tonic::async_trait]
            impl pb::$server_module::$service for Api {
                $(
                    async fn $method(&self, request: Request<pb::$request>) -> Result<Response<pb::$response>, Status> {
                        self.run(request).await
                    }
                )*
            }
        )*
    };
}

coterie_api::for_each_service!(services);

#[cfg(test)]
mod tests {
    use super::parse_grpc_timeout;
    use std::time::Duration;

    #[test]
    fn grpc_timeouts_parse() {
        assert_eq!(parse_grpc_timeout("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse_grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_grpc_timeout("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_grpc_timeout("3M"), Some(Duration::from_secs(180)));
        assert_eq!(parse_grpc_timeout("7u"), Some(Duration::from_micros(7)));
        assert_eq!(parse_grpc_timeout("9n"), Some(Duration::from_nanos(9)));
        for bad in ["", "S", "123456789S", "5", "5s", "-5S", "5 S", "5é"] {
            assert_eq!(parse_grpc_timeout(bad), None, "{bad:?}");
        }
    }
}
