//! Multipart uploads through the gRPC `ObjectService` and the client's bucket handle, on a
//! real three-member cluster on loopback: what a completion refuses (a part never
//! uploaded, parts out of order, an aborted upload, a failed condition) and the limits.
//! The `object_store` suite's multipart functions run in `object_store.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use crate::support;

use coterie_client::ClientError;
use coterie_client::bucket::{CompletedPart, PutOptions};
use coterie_core::CoreError;
use coterie_core::kinds::bucket::{ETag, PutCondition};
use coterie_server::object::ObjectLimits;
use support::{Cluster, cp_config};

/// The message of an invalid-argument refusal, or a panic naming what came instead.
fn invalid(err: ClientError) -> String {
    assert!(matches!(&err, ClientError::Refused(CoreError::InvalidArgument { .. })), "{err:?}");
    err.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completion_checks_its_part_list_and_writes_the_parts_in_order() {
    let mut cluster = Cluster::start(3).await;
    let bucket = cluster.client().await.bucket("parts").unwrap();
    let options = PutOptions { content_type: Some("text/plain".into()), ..PutOptions::default() };
    let id = bucket.create_upload("doc.txt", &options).await.unwrap();
    // Parts uploaded out of order; the list decides the order.
    let two = bucket.upload_part("doc.txt", &id, 2, b"world").await.unwrap();
    let one = bucket.upload_part("doc.txt", &id, 1, b"hello ").await.unwrap();
    assert_eq!(one.size, 6);

    let missing = [CompletedPart::from(&one), CompletedPart { number: 3, etag: None }];
    let message = invalid(bucket.complete_upload("doc.txt", &id, &missing, &PutOptions::default()).await.unwrap_err());
    assert!(message.contains("part 3") && message.contains("not uploaded"), "{message}");

    let reversed = [CompletedPart::from(&two), CompletedPart::from(&one)];
    let message = invalid(bucket.complete_upload("doc.txt", &id, &reversed, &PutOptions::default()).await.unwrap_err());
    assert!(message.contains("ascending order"), "{message}");

    let stale = [CompletedPart { number: 1, etag: Some("not-the-etag".into()) }];
    let message = invalid(bucket.complete_upload("doc.txt", &id, &stale, &PutOptions::default()).await.unwrap_err());
    assert!(message.contains("ETag"), "{message}");

    // The refusals left the upload as it was: the right list completes it.
    let parts = [CompletedPart::from(&one), CompletedPart::from(&two)];
    let info = bucket.complete_upload("doc.txt", &id, &parts, &PutOptions::default()).await.unwrap();
    let got = bucket.get("doc.txt", Default::default()).await.unwrap();
    assert_eq!(got.data, b"hello world");
    assert_eq!(got.info.etag, info.etag);
    assert_eq!(got.info.content_type.as_deref(), Some("text/plain"));
    assert_eq!(got.info.parts, 2);
    // A completed upload is gone.
    let message = invalid(bucket.upload_part("doc.txt", &id, 3, b"late").await.unwrap_err());
    assert!(message.contains("no multipart upload"), "{message}");
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aborted_upload_cannot_be_completed_and_writes_nothing() {
    let mut cluster = Cluster::start(3).await;
    let bucket = cluster.client().await.bucket("aborts").unwrap();
    bucket.put("k", b"old", PutOptions::default()).await.unwrap();
    let id = bucket.create_upload("k", &PutOptions::default()).await.unwrap();
    let part = bucket.upload_part("k", &id, 1, b"new").await.unwrap();
    bucket.abort_upload("k", &id).await.unwrap();
    let parts = [CompletedPart::from(&part)];
    let message = invalid(bucket.complete_upload("k", &id, &parts, &PutOptions::default()).await.unwrap_err());
    assert!(message.contains("no multipart upload") && message.contains("aborted"), "{message}");
    assert_eq!(bucket.get("k", Default::default()).await.unwrap().data, b"old");
    // An id names an upload of one key only.
    let other = bucket.create_upload("other", &PutOptions::default()).await.unwrap();
    let message = invalid(bucket.upload_part("k", &other, 1, b"x").await.unwrap_err());
    assert!(message.contains("not \"k\""), "{message}");
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completion_is_held_to_its_condition() {
    let mut cluster = Cluster::start(3).await;
    let bucket = cluster.client().await.bucket("conditions").unwrap();
    let old = bucket.put("k", b"old", PutOptions::default()).await.unwrap();
    let id = bucket.create_upload("k", &PutOptions::default()).await.unwrap();
    let parts = [CompletedPart::from(&bucket.upload_part("k", &id, 1, b"new").await.unwrap())];

    let create_only = PutOptions { condition: PutCondition::CreateOnly, ..PutOptions::default() };
    let err = bucket.complete_upload("k", &id, &parts, &create_only).await.unwrap_err();
    assert!(matches!(err, ClientError::Refused(CoreError::AlreadyExists { .. })), "{err:?}");
    let wrong = PutOptions { condition: PutCondition::IfMatch(ETag::new("stale")), ..PutOptions::default() };
    let err = bucket.complete_upload("k", &id, &parts, &wrong).await.unwrap_err();
    assert!(matches!(err, ClientError::Refused(CoreError::PreconditionFailed { .. })), "{err:?}");
    assert_eq!(bucket.get("k", Default::default()).await.unwrap().data, b"old");

    // A refused condition keeps the upload: completed if the object is still the one read.
    let current = PutOptions { condition: PutCondition::IfMatch(ETag::new(&old.etag)), ..PutOptions::default() };
    bucket.complete_upload("k", &id, &parts, &current).await.unwrap();
    assert_eq!(bucket.get("k", Default::default()).await.unwrap().data, b"new");
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_are_held_to_the_object_limits() {
    let limits = ObjectLimits { max_object_bytes: 1000, max_upload_parts: 3, ..ObjectLimits::default() };
    let mut cluster = Cluster::start_with_limits(3, false, cp_config(), limits).await;
    let bucket = cluster.client().await.bucket("limits").unwrap();
    let id = bucket.create_upload("k", &PutOptions::default()).await.unwrap();

    let message = invalid(bucket.upload_part("k", &id, 1, &[0; 1001]).await.unwrap_err());
    assert!(message.contains("part 1") && message.contains("max_object_bytes"), "{message}");
    let message = invalid(bucket.upload_part("k", &id, 4, b"x").await.unwrap_err());
    assert!(message.contains("1..=3") && message.contains("max_upload_parts"), "{message}");
    let message = invalid(bucket.upload_part("k", &id, 0, b"x").await.unwrap_err());
    assert!(message.contains("number parts from 1"), "{message}");

    // Parts each within the limit, together over it.
    let one = bucket.upload_part("k", &id, 1, &[1; 600]).await.unwrap();
    let two = bucket.upload_part("k", &id, 2, &[2; 600]).await.unwrap();
    let parts = [CompletedPart::from(&one), CompletedPart::from(&two)];
    let message = invalid(bucket.complete_upload("k", &id, &parts, &PutOptions::default()).await.unwrap_err());
    assert!(message.contains("1200 bytes") && message.contains("max_object_bytes"), "{message}");
    bucket.complete_upload("k", &id, &parts[..1], &PutOptions::default()).await.unwrap();
    assert_eq!(bucket.get("k", Default::default()).await.unwrap().data, vec![1; 600]);
    cluster.shutdown().await;
}
