//! Issue 16: the gRPC conventions every member serves on its one port. The standard health
//! service answers per member and per data service (a data service is not serving while the
//! `default` group has no quorum, and serving again once it has), and server reflection lists
//! every service and describes `coterie.proto`, so `grpcurl` can list and call every rpc.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use crate::support;

use prost::Message;
use support::{Cluster, cp_config, eventually};
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

const ATOMIC_LONG: &str = "coterie.v1.AtomicLongService";

async fn channel(cluster: &Cluster, id: u64) -> tonic::transport::Channel {
    tonic::transport::Endpoint::from_shared(format!("http://{}", cluster.address(id))).unwrap().connect().await.unwrap()
}

async fn status(cluster: &Cluster, id: u64, service: &str) -> Result<i32, tonic::Status> {
    let mut client = HealthClient::new(channel(cluster, id).await);
    let request = HealthCheckRequest { service: service.to_owned() };
    Ok(client.check(request).await?.into_inner().status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_follows_the_quorum_of_the_default_group() {
    let mut cluster = Cluster::start_with(3, true, cp_config()).await;
    for id in [1, 2, 3] {
        let cluster = &cluster;
        assert_eq!(status(cluster, id, "").await.unwrap(), ServingStatus::Serving as i32);
        eventually(&format!("member {id} serves data"), async || {
            status(cluster, id, ATOMIC_LONG).await.unwrap() == ServingStatus::Serving as i32
                && status(cluster, id, "coterie.v1.ObjectService").await.unwrap() == ServingStatus::Serving as i32
        })
        .await;
    }
    let unknown = status(&cluster, 1, "no.such.Service").await.unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound, "{unknown:?}");

    cluster.stop(2).await;
    cluster.stop(3).await;
    {
        let cluster = &cluster;
        eventually("the lone member stops serving data", async || {
            status(cluster, 1, ATOMIC_LONG).await.unwrap() == ServingStatus::NotServing as i32
        })
        .await;
        assert_eq!(status(cluster, 1, "").await.unwrap(), ServingStatus::Serving as i32, "the server itself is up");
    }
    cluster.restart(2).await;
    let cluster = &cluster;
    eventually("the member serves data again with a quorum", async || {
        status(cluster, 1, ATOMIC_LONG).await.unwrap() == ServingStatus::Serving as i32
    })
    .await;
}

async fn reflect(cluster: &Cluster, request: MessageRequest) -> MessageResponse {
    let mut client = ServerReflectionClient::new(channel(cluster, 1).await);
    let request = ServerReflectionRequest { host: String::new(), message_request: Some(request) };
    let mut answers = client.server_reflection_info(futures_util::stream::iter([request])).await.unwrap().into_inner();
    answers.message().await.unwrap().unwrap().message_response.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_lists_every_service_and_describes_the_proto() {
    let cluster = Cluster::start(1).await;
    let MessageResponse::ListServicesResponse(listed) =
        reflect(&cluster, MessageRequest::ListServices(String::new())).await
    else {
        panic!("not a service list");
    };
    let names: Vec<String> = listed.service.into_iter().map(|service| service.name).collect();
    for expected in [
        ATOMIC_LONG,
        "coterie.v1.FencedLockService",
        "coterie.v1.SessionService",
        "coterie.v1.ObjectService",
        "coterie.v1.ClusterService",
        "grpc.health.v1.Health",
    ] {
        assert!(names.iter().any(|name| name == expected), "{expected} is not listed in {names:?}");
    }
    let MessageResponse::FileDescriptorResponse(files) =
        reflect(&cluster, MessageRequest::FileContainingSymbol(format!("{ATOMIC_LONG}.IncrementAndGet"))).await
    else {
        panic!("not a file descriptor");
    };
    let file = prost_types::FileDescriptorProto::decode(files.file_descriptor_proto[0].as_slice()).unwrap();
    assert_eq!(file.name(), "coterie/v1/coterie.proto");
    let service = file.service.iter().find(|service| service.name() == "AtomicLongService").unwrap();
    assert!(service.method.iter().any(|method| method.name() == "IncrementAndGet"));
}
