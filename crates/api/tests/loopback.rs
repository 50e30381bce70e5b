//! The generated client and server talking over a real loopback socket.
//!
//! The conversion and status tests check every mapping without a network; this test checks
//! that the pieces fit together the way a server will use them: a request decoded by tonic,
//! converted with `IntoCommand`, applied to a real `coterie_core::Group`, answered with
//! `status::respond`, and an error arriving at the client with its `ErrorDetail` intact.
//! The service here is test-only: a group behind a mutex, with no Raft and no parking.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use coterie_api::convert::{FromOutput, IntoCommand};
use coterie_api::pb::atomic_long_service_client::AtomicLongServiceClient;
use coterie_api::pb::atomic_long_service_server::AtomicLongServiceServer;
use coterie_api::pb::{self, Call};
use coterie_api::status::{self, ApiError};
use coterie_core::{
    ClientId, CoreError, Group, GroupCommand, GroupOutput, LogIndex, Reply, SessionId, StateMachine, Target, Timestamp,
};
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic::{Code, Request, Response, Status};

/// A group and the next log index to apply at: a one-member "engine".
struct Engine {
    group: Group,
    index: u64,
}

impl Engine {
    fn apply(&mut self, command: GroupCommand, caller: coterie_api::convert::Caller) -> Reply<GroupOutput> {
        self.index += 1;
        self.group.apply(command, &caller.ctx(LogIndex(self.index), Timestamp(1_000))).response
    }
}

#[derive(Clone)]
struct TestAtomicLongService(Arc<Mutex<Engine>>);

impl TestAtomicLongService {
    fn call<Q: IntoCommand, A: FromOutput>(&self, request: Request<Q>) -> Result<Response<A>, Status> {
        let routed = request.into_inner().into_command()?;
        if routed.target != Target::cp("default") {
            return Err(status::not_leader(Some(2), Some("127.0.0.1:1".to_owned())));
        }
        let mut engine = self.0.lock().map_err(|_| status::internal("the test engine's lock is poisoned"))?;
        match engine.apply(routed.command, routed.caller) {
            Reply::Ready(result) => status::respond(result),
            Reply::Parked => Err(status::internal("AtomicLong calls never park")),
        }
    }
}

type Answer<T> = Result<Response<T>, Status>;

/// Every service of the rpc list, each method through [`TestAtomicLongService::call`] (only
/// AtomicLong is served below): the same list the server is generated from, so this test
/// cannot fall behind it.
macro_rules! test_services {
    (
        $(
            $server_module:ident :: $service:ident as $server:ident, $client_module:ident :: $client:ident {
                $( $variant:ident $method:ident($request:ident) -> $response:ident; )*
            }
        )*
    ) => {
        $(
            #[tonic::async_trait]
            impl pb::$server_module::$service for TestAtomicLongService {
                $(
                    async fn $method(&self, r: Request<pb::$request>) -> Answer<pb::$response> {
                        self.call(r)
                    }
                )*
            }
        )*
    };
}

coterie_api::for_each_service!(test_services);

/// A call header; a seq is sent as a call of client 1.
fn call(name: &str, session_id: u64, seq: u64) -> Option<Call> {
    let client_id = if seq == 0 { Vec::new() } else { ClientId::MIN.to_bytes().to_vec() };
    Some(Call { name: name.to_owned(), session_id, seq, client_id, ..Call::default() })
}

#[tokio::test]
async fn atomic_long_over_a_real_socket() {
    let mut engine = Engine { group: Group::default(), index: 0 };
    let open = GroupCommand::OpenSession { ttl: Duration::from_secs(60), client: ClientId::new(1).unwrap(), seq: 1 };
    let opened = engine.apply(open, Default::default());
    assert_eq!(opened, Reply::Ready(Ok(GroupOutput::Session(SessionId(1)))));
    let service = TestAtomicLongService(Arc::new(Mutex::new(engine)));

    let incoming = TcpIncoming::bind("127.0.0.1:0".parse().unwrap()).unwrap().with_nodelay(Some(true));
    let address = incoming.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    // One service needs no router (and so no axum); the server will add one for several.
    let server = tokio::spawn(Server::builder().serve_with_incoming_shutdown(
        AtomicLongServiceServer::new(service),
        incoming,
        async {
            let _ = stopped.await;
        },
    ));
    let mut client = AtomicLongServiceClient::connect(format!("http://{address}")).await.unwrap();

    // Sessionless calls.
    let inc = |seq| pb::AtomicLongIncrementAndGetRequest { call: call("seq", 0, seq) };
    assert_eq!(client.increment_and_get(inc(0)).await.unwrap().into_inner().value, 1);
    assert_eq!(client.increment_and_get(inc(0)).await.unwrap().into_inner().value, 2);
    let get = pb::AtomicLongGetRequest { call: call("seq", 0, 0) };
    assert_eq!(client.get(get.clone()).await.unwrap().into_inner().value, 2);

    // A retry with the same (client_id, seq) is answered from the client's record, not re-applied.
    let retried = pb::AtomicLongIncrementAndGetRequest { call: call("seq", 1, 7) };
    assert_eq!(client.increment_and_get(retried.clone()).await.unwrap().into_inner().value, 3);
    assert_eq!(client.increment_and_get(retried).await.unwrap().into_inner().value, 3);
    assert_eq!(client.get(get.clone()).await.unwrap().into_inner().value, 3);

    let cas = |expected, update| pb::AtomicLongCompareAndSetRequest { call: call("seq", 0, 0), expected, update };
    assert!(client.compare_and_set(cas(3, 10)).await.unwrap().into_inner().swapped);
    assert!(!client.compare_and_set(cas(3, 11)).await.unwrap().into_inner().swapped);
    assert_eq!(client.get(get.clone()).await.unwrap().into_inner().value, 10);

    // Overflow arrives as OUT_OF_RANGE with its ErrorDetail, and rebuilds the core error.
    client.set(pb::AtomicLongSetRequest { call: call("seq", 0, 0), value: i64::MAX }).await.unwrap();
    let status = client.increment_and_get(inc(0)).await.unwrap_err();
    assert_eq!(status.code(), Code::OutOfRange);
    let detail = status::error_detail(&status).unwrap();
    assert_eq!(detail.code, "overflow");
    assert_eq!(detail.metadata.get("operation").map(String::as_str), Some("increment_and_get"));
    assert_eq!(ApiError::from(status), ApiError::Core(CoreError::overflow("increment_and_get")));
    assert_eq!(client.get(get).await.unwrap().into_inner().value, i64::MAX);

    // A request the API layer refuses, an unknown session, and a redirect.
    let status = client.get(pb::AtomicLongGetRequest { call: call("", 0, 0) }).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status::error_detail(&status).unwrap().code, "invalid_name");
    let status = client.get(pb::AtomicLongGetRequest { call: call("seq", 99, 0) }).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(ApiError::from(status), ApiError::Core(CoreError::SessionExpired { session: SessionId(99) }));
    let status = client.get(pb::AtomicLongGetRequest { call: call("seq@other", 0, 0) }).await.unwrap_err();
    assert!(matches!(
        ApiError::from(status),
        ApiError::NotLeader { leader_id: Some(2), leader_address: Some(ref a), .. } if a == "127.0.0.1:1"
    ));

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
