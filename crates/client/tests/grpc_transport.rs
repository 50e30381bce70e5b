//! The gRPC transport against fake members on 127.0.0.1.
//!
//! Each fake member implements the generated `AtomicLongService` and `SessionService` server
//! traits over a real `coterie_core::Group`, turning requests into commands with the API's
//! forward conversions and answering with its `FromOutput` and status mapping, exactly as a
//! server does. So besides the transport's behaviour (leader following, failover, retries,
//! timeouts, typed errors), every call here checks that the client's reverse conversions
//! and the server's forward ones agree end to end.

#![cfg(feature = "grpc")]
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use coterie_api::convert::{FromOutput, IntoCommand};
use coterie_api::pb;
use coterie_api::pb::atomic_long_service_server::AtomicLongServiceServer;
use coterie_api::pb::session_service_server::SessionServiceServer;
use coterie_api::status;
use coterie_client::{Client, ClientConfig, ClientError};
use coterie_core::{CoreError, Group, InvocationId, LogIndex, Reply, StateMachine, Timestamp};
use tonic::codegen::{BoxFuture, Context, Poll, Service, http};
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};

/// How a fake member behaves.
#[derive(Clone, Debug)]
enum Mode {
    /// Applies every call and answers it.
    Serve,
    /// Answers every call with `not_leader`, naming this address as the leader.
    NotLeader(String),
    /// Applies calls that carry an invocation id, but answers the first `n` of them with
    /// `unavailable`, as if the reply had been lost.
    DropReplies(usize),
    /// Never answers.
    Hang,
}

/// One call the fake member received.
#[derive(Clone, Debug)]
struct Seen {
    operation: &'static str,
    invocation: Option<InvocationId>,
    grpc_timeout: Option<String>,
}

struct State {
    mode: Mutex<Mode>,
    group: Mutex<(Group, u64)>,
    seen: Mutex<Vec<Seen>>,
}

#[derive(Clone)]
struct Fake(Arc<State>);

impl Fake {
    fn new(mode: Mode) -> Self {
        Fake(Arc::new(State {
            mode: Mutex::new(mode),
            group: Mutex::new((Group::default(), 0)),
            seen: Mutex::new(Vec::new()),
        }))
    }

    fn seen(&self) -> Vec<Seen> {
        self.0.seen.lock().unwrap().clone()
    }

    async fn handle<Q: IntoCommand, P: FromOutput>(&self, request: Request<Q>) -> Result<Response<P>, Status> {
        let grpc_timeout = request.metadata().get("grpc-timeout").map(|v| v.to_str().unwrap().to_owned());
        let routed = request.into_inner().into_command()?;
        let invocation = routed.caller.invocation;
        self.0.seen.lock().unwrap().push(Seen { operation: Q::OPERATION, invocation, grpc_timeout });
        let mode = self.0.mode.lock().unwrap().clone();
        match mode {
            Mode::NotLeader(leader) => return Err(status::not_leader(Some(2), Some(leader))),
            Mode::Hang => std::future::pending::<()>().await,
            Mode::Serve | Mode::DropReplies(_) => {}
        }
        let result = {
            let mut group = self.0.group.lock().unwrap();
            group.1 += 1;
            let ctx = routed.caller.ctx(LogIndex(group.1), Timestamp(1_000 + group.1));
            match group.0.apply(routed.command, &ctx).response {
                Reply::Ready(result) => result,
                Reply::Parked => return Err(status::unavailable("parked calls are not supported here", None)),
            }
        };
        if invocation.is_some() {
            let mut mode = self.0.mode.lock().unwrap();
            if let Mode::DropReplies(n) = &mut *mode
                && *n > 0
            {
                *n -= 1;
                return Err(status::unavailable("the reply was lost", None));
            }
        }
        status::respond(result)
    }
}

/// Implements every generated service trait of the rpc list by sending every method
/// through [`Fake::handle`] (only AtomicLong and the sessions are routed to, below).
macro_rules! fake_services {
    (
        $(
            $server_module:ident :: $service:ident as $server:ident, $client_module:ident :: $client:ident {
                $( $variant:ident $method:ident($request:ident) -> $response:ident; )*
            }
        )*
    ) => {
        $(
            #[tonic::codegen::async_trait]
            impl pb::$server_module::$service for Fake {
                $(
                    async fn $method(&self, request: Request<pb::$request>) -> Result<Response<pb::$response>, Status> {
                        self.handle(request).await
                    }
                )*
            }
        )*
    };
}

coterie_api::for_each_service!(fake_services);

/// Routes requests to the two services by path (tonic's own router needs axum).
#[derive(Clone)]
struct Routes {
    atomic_long: AtomicLongServiceServer<Fake>,
    session: SessionServiceServer<Fake>,
}

impl Service<http::Request<tonic::body::Body>> for Routes {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        if request.uri().path().starts_with("/coterie.v1.SessionService/") {
            let mut session = self.session.clone();
            Box::pin(async move { session.call(request).await })
        } else {
            let mut atomic_long = self.atomic_long.clone();
            Box::pin(async move { atomic_long.call(request).await })
        }
    }
}

/// Starts `fake` on a free port of 127.0.0.1 and answers its address.
async fn start(fake: &Fake) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address: SocketAddr = listener.local_addr().unwrap();
    let routes = Routes {
        atomic_long: AtomicLongServiceServer::new(fake.clone()),
        session: SessionServiceServer::new(fake.clone()),
    };
    tokio::spawn(Server::builder().serve_with_incoming(routes, TcpIncoming::from(listener)));
    address.to_string()
}

/// An address nothing listens on: bound once to get a free port, then released.
async fn unreachable() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().to_string()
}

fn quick() -> ClientConfig {
    ClientConfig {
        call_timeout: Duration::from_secs(5),
        attempt_timeout: Duration::from_secs(1),
        ..ClientConfig::default()
    }
}

/// Runs a test body with a hard bound, so a regression fails instead of hanging.
async fn bounded<F: std::future::Future<Output = ()>>(body: F) {
    tokio::time::timeout(Duration::from_secs(20), body).await.expect("the test did not finish in 20 s");
}

fn count(seen: &[Seen], operation: &str) -> usize {
    seen.iter().filter(|s| s.operation == operation).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn increment_and_get_over_grpc() {
    bounded(async {
        let fake = Fake::new(Mode::Serve);
        let address = start(&fake).await;
        let client = Client::connect(&[address.as_str()]).await.unwrap();
        let seq = client.atomic_long("seq").unwrap();
        assert_eq!(seq.increment_and_get().await, Ok(1));
        assert_eq!(seq.increment_and_get().await, Ok(2));
        assert_eq!(seq.add_and_get(40).await, Ok(42));
        assert_eq!(seq.compare_and_set(42, 7).await, Ok(true));
        assert_eq!(seq.get().await, Ok(7));
        let http = Client::connect(&[format!("http://{address}")]).await.unwrap();
        assert_eq!(http.atomic_long("seq").unwrap().get().await, Ok(7));
        client.close().await.unwrap();
        // An AtomicLong needs no session: its calls are deduplicated by client id.
        let seen = fake.seen();
        assert_eq!(count(&seen, "open_session"), 0);
        assert_eq!(count(&seen, "close_session"), 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_a_lost_reply_keeps_its_invocation_id_and_applies_once() {
    bounded(async {
        let fake = Fake::new(Mode::DropReplies(1));
        let address = start(&fake).await;
        let client = Client::connect_with(&[address], quick()).await.unwrap();
        let seq = client.atomic_long("seq").unwrap();
        assert_eq!(seq.increment_and_get().await, Ok(1), "the retry is answered from the dedup window");
        assert_eq!(seq.get().await, Ok(1), "applied once");
        let increments: Vec<_> =
            fake.seen().into_iter().filter(|s| s.operation == "increment_and_get").map(|s| s.invocation).collect();
        assert_eq!(increments.len(), 2, "{increments:?}");
        assert!(increments[0].is_some());
        assert_eq!(increments[0], increments[1]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_leader_sends_the_client_to_the_named_endpoint() {
    bounded(async {
        let (follower, bystander, leader) = (Fake::new(Mode::Serve), Fake::new(Mode::Serve), Fake::new(Mode::Serve));
        let leader_address = start(&leader).await;
        let follower_address = start(&follower).await;
        let bystander_address = start(&bystander).await;
        *follower.0.mode.lock().unwrap() = Mode::NotLeader(format!("http://{leader_address}"));
        let client =
            Client::connect_with(&[follower_address, bystander_address, leader_address], quick()).await.unwrap();
        let seq = client.atomic_long("seq").unwrap();
        assert_eq!(seq.increment_and_get().await, Ok(1));
        assert_eq!(seq.increment_and_get().await, Ok(2));
        assert_eq!(follower.seen().len(), 1, "asked once, then the leader is remembered");
        assert!(bystander.seen().is_empty(), "the hint was followed, not the next endpoint");
        assert_eq!(count(&leader.seen(), "increment_and_get"), 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_fails_over_to_the_next() {
    bounded(async {
        let fake = Fake::new(Mode::Serve);
        let live = start(&fake).await;
        let client = Client::connect_with(&[unreachable().await, live], quick()).await.unwrap();
        assert_eq!(client.atomic_long("seq").unwrap().increment_and_get().await, Ok(1));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_call_surfaces_the_typed_core_error() {
    bounded(async {
        let fake = Fake::new(Mode::Serve);
        let client = Client::connect_with(&[start(&fake).await], quick()).await.unwrap();
        let seq = client.atomic_long("seq").unwrap();
        seq.set(i64::MAX).await.unwrap();
        match seq.increment_and_get().await {
            Err(ClientError::Refused(CoreError::Overflow { operation })) => assert_eq!(operation, "increment_and_get"),
            other => panic!("expected an overflow, got {other:?}"),
        }
        assert_eq!(seq.get().await, Ok(i64::MAX));
        // A name the API cannot carry is refused before anything is sent.
        let odd = client.atomic_long("a@b@default").unwrap();
        assert!(matches!(odd.get().await, Err(ClientError::Refused(CoreError::InvalidName { .. }))));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_to_a_member_that_never_answers_is_bounded_by_the_call_timeout() {
    bounded(async {
        let fake = Fake::new(Mode::Hang);
        let address = start(&fake).await;
        let config = ClientConfig {
            call_timeout: Duration::from_millis(600),
            attempt_timeout: Duration::from_millis(200),
            ..ClientConfig::default()
        };
        let client = Client::connect_with(&[address], config).await.unwrap();
        let started = tokio::time::Instant::now();
        let result = client.atomic_long("seq").unwrap().increment_and_get().await;
        let waited = started.elapsed();
        // The increment was sent and never answered: it may have been applied.
        assert!(matches!(result, Err(ClientError::Indeterminate { .. })), "{result:?}");
        assert!(waited >= Duration::from_millis(600), "gave up early: {waited:?}");
        assert!(waited < Duration::from_secs(3), "not bounded: {waited:?}");
        let seen = fake.seen();
        assert!(!seen.is_empty());
        assert!(seen.iter().all(|s| s.grpc_timeout.is_some()), "the server is told the deadline: {seen:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_endpoints_are_clear_errors() {
    let none: [&str; 0] = [];
    assert!(matches!(Client::connect(&none).await, Err(ClientError::InvalidEndpoint { .. })));
    match Client::connect(&["127.0.0.1:7101", "no-port"]).await {
        Err(err @ ClientError::InvalidEndpoint { .. }) => assert!(err.to_string().contains("no-port"), "{err}"),
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("accepted an endpoint without a port"),
    }
}
