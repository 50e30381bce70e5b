//! Bad input over real gRPC: unknown structure kinds (services and methods the server does
//! not have), a name used as two kinds, values over the group's limit and over the gRPC
//! message limit, requests missing required fields, bytes that are not protobuf at all, and
//! invalid names. Each is refused with a clear error, loses nothing already stored, and
//! leaves the node serving.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use crate::support;

use coterie_api::pb::atomic_long_service_client::AtomicLongServiceClient;
use coterie_api::pb::fenced_lock_service_client::FencedLockServiceClient;
use coterie_api::pb::{self, AtomicLongIncrementAndGetRequest, Call};
use coterie_api::status::{code, error_detail};
use coterie_client::ClientError;
use coterie_core::{CoreError, Kind};
use prost::bytes::{Buf, BufMut};
use support::Cluster;
use tonic::Code;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;

/// A codec that sends and receives message bodies as they are, so a test can send bytes
/// that no generated client would.
#[derive(Clone, Copy, Default)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }

    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, tonic::Status> {
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}

/// Sends `body` as the message of the rpc at `path` (`/package.Service/Method`).
async fn raw_call(address: &str, path: &str, body: Vec<u8>) -> Result<Vec<u8>, tonic::Status> {
    let channel = Channel::from_shared(format!("http://{address}")).unwrap().connect().await.unwrap();
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let path = PathAndQuery::try_from(path.to_owned()).unwrap();
    grpc.unary(tonic::Request::new(body), path, RawCodec).await.map(tonic::Response::into_inner)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_clearly_and_loses_nothing() {
    let mut cluster = Cluster::start(3).await;
    let client = cluster.client().await;
    let counter = client.atomic_long("thing").unwrap();
    counter.set(5).await.unwrap();
    let config = client.atomic_reference::<String>("config").unwrap();
    config.set(Some(&"small".to_owned())).await.unwrap();
    let leader = cluster.address(cluster.leader("default").await);

    // A name used as another kind: wrong_kind, naming both kinds.
    let wrong = client.fenced_lock("thing").unwrap().lock().await.unwrap_err();
    assert_eq!(
        wrong,
        ClientError::Refused(CoreError::WrongKind {
            name: "thing".into(),
            expected: Kind::FencedLock,
            actual: Kind::AtomicLong
        })
    );
    assert!(wrong.to_string().contains("use another name"), "{wrong}");
    let wrong = client.semaphore("thing").unwrap().available_permits().await.unwrap_err();
    assert!(matches!(wrong, ClientError::Refused(CoreError::WrongKind { .. })), "{wrong}");
    let wrong = client.atomic_reference::<String>("thing").unwrap().get().await.unwrap_err();
    assert!(matches!(wrong, ClientError::Refused(CoreError::WrongKind { .. })), "{wrong}");
    let mut raw_locks = FencedLockServiceClient::connect(format!("http://{leader}")).await.unwrap();
    let call = Call { name: "thing".into(), ..Call::default() };
    let status = raw_locks.is_locked(pb::FencedLockIsLockedRequest { call: Some(call) }).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(error_detail(&status).unwrap().code, code::WRONG_KIND);

    // An unknown structure kind is a service the server does not have; an unknown operation
    // a method it does not have. Both are UNIMPLEMENTED.
    let unknown = raw_call(&leader, "/coterie.v1.HyperLogLogService/Add", Vec::new()).await.unwrap_err();
    assert_eq!(unknown.code(), Code::Unimplemented);
    assert!(unknown.message().contains("HyperLogLogService"), "{unknown:?}");
    let unknown = raw_call(&leader, "/coterie.v1.AtomicLongService/Frobnicate", Vec::new()).await.unwrap_err();
    assert_eq!(unknown.code(), Code::Unimplemented);

    // A value over the group's limit (1 MiB by default): value_too_large; the old value stays.
    let limit = 1024 * 1024;
    let too_large = config.set(Some(&"x".repeat(limit + 1))).await.unwrap_err();
    assert_eq!(too_large, ClientError::Refused(CoreError::ValueTooLarge { size: limit + 1, limit }));
    assert!(too_large.to_string().contains("raise max_value_bytes"), "{too_large}");
    let too_large = config.compare_and_set(Some(&"small".to_owned()), Some(&"y".repeat(limit + 1))).await;
    assert!(matches!(too_large, Err(ClientError::Refused(CoreError::ValueTooLarge { .. }))), "{too_large:?}");
    assert_eq!(config.get().await.unwrap().as_deref(), Some("small"));
    // A message over gRPC's 4 MiB limit is refused by the transport, at once, not retried.
    let started = tokio::time::Instant::now();
    let huge = config.set(Some(&"z".repeat(5 * limit))).await.unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "refused after {:?}", started.elapsed());
    assert!(matches!(&huge, ClientError::Refused(CoreError::InvalidArgument { .. })), "{huge:?}");
    assert!(huge.to_string().contains("too large"), "{huge}");
    assert_eq!(config.get().await.unwrap().as_deref(), Some("small"));

    // Requests missing required fields.
    let mut raw_longs = AtomicLongServiceClient::connect(format!("http://{leader}")).await.unwrap();
    let missing_call = raw_longs.increment_and_get(AtomicLongIncrementAndGetRequest { call: None }).await.unwrap_err();
    assert_eq!(missing_call.code(), Code::InvalidArgument);
    assert_eq!(error_detail(&missing_call).unwrap().code, code::INVALID_NAME);
    let no_name = Call { name: String::new(), session_id: 0, seq: 0, ..Call::default() };
    let missing_name = raw_longs.get(pb::AtomicLongGetRequest { call: Some(no_name) }).await.unwrap_err();
    assert_eq!(missing_name.code(), Code::InvalidArgument);
    // A CP kind with a sharded target: AtomicLong is not a sharded kind, so it is refused
    // with why, and nothing is created.
    let sharded = Call {
        name: "hits".into(),
        target: Some(pb::call::Target::Sharded(pb::ShardedTarget { shards: 8 })),
        ..Call::default()
    };
    let refused =
        raw_longs.increment_and_get(AtomicLongIncrementAndGetRequest { call: Some(sharded) }).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().contains("atomic-long is a CP kind, not a sharded one"), "{refused:?}");
    // A lock without a session, and one in a session that was never opened.
    let sessionless = Call { name: "l".into(), ..Call::default() };
    let lock = pb::FencedLockLockRequest { call: Some(sessionless), owner: vec![1] };
    let refused = raw_locks.lock(lock).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    let detail = error_detail(&refused).unwrap().code;
    assert!(detail == code::SESSION_REQUIRED || detail == code::INVOCATION_REQUIRED, "{detail}");
    let unknown_session =
        Call { name: "l".into(), session_id: 999_999, seq: 1, client_id: vec![7; 16], ..Call::default() };
    let lock = pb::FencedLockLockRequest { call: Some(unknown_session), owner: vec![1] };
    let refused = raw_locks.lock(lock).await.unwrap_err();
    assert_eq!(refused.code(), Code::NotFound);
    assert_eq!(error_detail(&refused).unwrap().code, code::SESSION_EXPIRED);
    // A seq without the caller's id cannot be deduplicated: refused, not applied.
    let anonymous = Call { name: "hits".into(), seq: 1, ..Call::default() };
    let refused =
        raw_longs.increment_and_get(AtomicLongIncrementAndGetRequest { call: Some(anonymous) }).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().contains("client_id"), "{refused:?}");
    // An empty body is a request with every field missing; bytes that are not protobuf are
    // refused by the decoder.
    let empty = raw_call(&leader, "/coterie.v1.AtomicLongService/IncrementAndGet", Vec::new()).await.unwrap_err();
    assert_eq!(empty.code(), Code::InvalidArgument);
    for garbage in [vec![0xff; 16], vec![0x0a, 0x7f, 0x01], b"not protobuf at all".to_vec()] {
        let refused =
            raw_call(&leader, "/coterie.v1.AtomicLongService/IncrementAndGet", garbage.clone()).await.unwrap_err();
        assert_eq!(refused.code(), Code::Internal, "{garbage:?}: {refused:?}");
    }

    // Invalid names: refused before sending, or by the server, with what is wrong.
    for bad in ["", "@orders", "thing@"] {
        let refused = client.atomic_long(bad).err().unwrap();
        assert!(matches!(refused, ClientError::InvalidName { .. }), "{bad:?}: {refused:?}");
    }
    for bad in ["thing@Orders!", "thing@metadata", &format!("thing@{}", "g".repeat(65))] {
        let refused = client.atomic_long(bad).unwrap().increment_and_get().await.unwrap_err();
        assert!(
            matches!(refused, ClientError::Refused(CoreError::InvalidName { .. } | CoreError::InvalidArgument { .. })),
            "{bad:?}: {refused:?}"
        );
    }
    let long_name = "n".repeat(300);
    let refused = client.atomic_long(&long_name).unwrap().increment_and_get().await.unwrap_err();
    assert!(matches!(refused, ClientError::Refused(CoreError::InvalidName { .. })), "{refused:?}");

    // Nothing was lost and every member still serves.
    assert_eq!(counter.get().await.unwrap(), 5);
    assert_eq!(counter.increment_and_get().await.unwrap(), 6);
    for id in 1..=3 {
        let mut direct = AtomicLongServiceClient::connect(format!("http://{}", cluster.address(id))).await.unwrap();
        let call = Call { name: "thing".into(), ..Call::default() };
        match direct.get(pb::AtomicLongGetRequest { call: Some(call) }).await {
            Ok(answer) => assert_eq!(answer.into_inner().value, 6),
            Err(status) => assert_eq!(error_detail(&status).unwrap().code, code::NOT_LEADER, "member {id}"),
        }
    }
    cluster.shutdown().await;
}
