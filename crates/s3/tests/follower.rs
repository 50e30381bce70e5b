//! Issue 13: a gateway on a member that does not lead the bucket group serves every
//! operation: the bytes go to a majority from that member, the metadata calls are forwarded
//! to the leader (`host/cp_forward.rs`). Driven in process through the gateway's `s3s::S3`
//! implementation (what the HTTP service calls once a request is parsed and its signature
//! checked), so no S3 SDK is needed.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use crate::support;

use std::sync::Arc;

use bytes::Bytes;
use coterie_s3::{Gateway, GatewayConfig};
use futures_util::StreamExt;
use s3s::dto::{self, ETagCondition, StreamingBlob};
use s3s::{S3, S3ErrorCode, S3Request};
use support::Cluster;

fn request<T>(input: T) -> S3Request<T> {
    S3Request {
        input,
        method: hyper::Method::GET,
        uri: hyper::Uri::from_static("/"),
        headers: hyper::HeaderMap::new(),
        extensions: hyper::http::Extensions::new(),
        credentials: None,
        region: None,
        service: None,
        trailing_headers: None,
    }
}

fn blob(data: &'static [u8]) -> StreamingBlob {
    StreamingBlob::wrap(futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(data))]))
}

fn put(bucket: &str, key: &str, data: &'static [u8], create_only: bool) -> S3Request<dto::PutObjectInput> {
    let input = dto::PutObjectInput::builder()
        .bucket(bucket.to_owned())
        .key(key.to_owned())
        .body(Some(blob(data)))
        .if_none_match(create_only.then_some(ETagCondition::Any))
        .build()
        .unwrap();
    request(input)
}

async fn get(gateway: &Gateway, bucket: &str, key: &str) -> Result<Vec<u8>, s3s::S3Error> {
    let input = dto::GetObjectInput::builder().bucket(bucket.to_owned()).key(key.to_owned()).build().unwrap();
    let mut body = gateway.get_object(request(input)).await?.output.body.unwrap();
    let mut bytes = Vec::new();
    while let Some(chunk) = body.next().await {
        bytes.extend_from_slice(&chunk.unwrap());
    }
    Ok(bytes)
}

async fn keys(gateway: &Gateway, bucket: &str) -> Vec<String> {
    let input = dto::ListObjectsV2Input::builder().bucket(bucket.to_owned()).build().unwrap();
    let listed = gateway.list_objects_v2(request(input)).await.unwrap().output;
    listed.contents.unwrap_or_default().into_iter().filter_map(|object| object.key).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_on_a_follower_serves_every_operation() {
    let cluster = Cluster::start().await;
    let leader = cluster.leader().await;
    let follower = cluster.nodes.keys().copied().find(|id| *id != leader).unwrap();
    let gateway = Gateway::new(Arc::clone(&cluster.nodes[&follower]), GatewayConfig::default());
    let bucket = "follower-bucket";

    gateway.put_object(put(bucket, "a", b"first", true)).await.unwrap();
    let again = gateway.put_object(put(bucket, "a", b"second", true)).await.unwrap_err();
    assert_eq!(*again.code(), S3ErrorCode::PreconditionFailed, "If-None-Match: * refuses an existing key");
    assert_eq!(get(&gateway, bucket, "a").await.unwrap(), b"first");

    let copy = dto::CopyObjectInput::builder()
        .bucket(bucket.to_owned())
        .key("b".to_owned())
        .copy_source(dto::CopySource::Bucket { bucket: bucket.into(), key: "a".into(), version_id: None })
        .build()
        .unwrap();
    gateway.copy_object(request(copy)).await.unwrap();
    assert_eq!(get(&gateway, bucket, "b").await.unwrap(), b"first");
    assert_eq!(keys(&gateway, bucket).await, ["a", "b"]);

    let delete = dto::DeleteObjectInput::builder().bucket(bucket.to_owned()).key("a".to_owned()).build().unwrap();
    gateway.delete_object(request(delete)).await.unwrap();
    assert_eq!(keys(&gateway, bucket).await, ["b"]);
    let gone = get(&gateway, bucket, "a").await.unwrap_err();
    assert_eq!(*gone.code(), S3ErrorCode::NoSuchKey);

    // The leader's gateway sees the same objects: one bucket, whichever member was called.
    let at_leader = Gateway::new(Arc::clone(&cluster.nodes[&leader]), GatewayConfig::default());
    assert_eq!(get(&at_leader, bucket, "b").await.unwrap(), b"first");
    assert!(cluster.nodes[&follower].forwarded_calls() > 0, "the follower forwarded its metadata calls");
    cluster.shutdown().await;
}
