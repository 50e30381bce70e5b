//! The node's [`BlobWire`]: `BlobService` calls to the other members on the channels Raft
//! uses ([`Peers`]), carrying the cluster secret.

use std::sync::Arc;
use std::time::Duration;

use coterie_api::pb::blob_service_client::BlobServiceClient;
use coterie_api::pb::{GetBlobRequest, PutBlobRequest, ReadIndexRequest, TouchBlobsRequest};
use coterie_storage::blob::BlobHash;
use futures_util::future::BoxFuture;

use super::raft_client::{CLUSTER_SECRET_HEADER, Peers};
use crate::object::BlobWire;

/// The largest `BlobService` message: one part of an object (at most
/// [`MAX_PART_BYTES`](super::MAX_PART_BYTES)) and its envelope.
pub const MAX_BLOB_MESSAGE_BYTES: usize = 16 << 20;

impl Peers {
    fn blob_client(&self, member: u64) -> Result<BlobServiceClient<tonic::transport::Channel>, String> {
        Ok(BlobServiceClient::new(self.channel(member)?)
            .max_decoding_message_size(MAX_BLOB_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_BLOB_MESSAGE_BYTES))
    }

    fn blob_request<T>(&self, message: T, timeout: Duration) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.set_timeout(timeout);
        if let Some(secret) = self.secret() {
            request.metadata_mut().insert(CLUSTER_SECRET_HEADER, secret.clone());
        }
        request
    }
}

fn described(status: tonic::Status) -> String {
    format!("{} ({})", status.message(), status.code())
}

impl BlobWire for Peers {
    fn put(
        &self,
        member: u64,
        hash: BlobHash,
        data: Arc<[u8]>,
        timeout: Duration,
    ) -> BoxFuture<'static, Result<(), String>> {
        let client = self.blob_client(member);
        let request = self.blob_request(PutBlobRequest { hash: hash.0.to_vec(), data: data.to_vec() }, timeout);
        Box::pin(async move { client?.put_blob(request).await.map(|_| ()).map_err(described) })
    }

    fn touch(
        &self,
        member: u64,
        hashes: Vec<BlobHash>,
        timeout: Duration,
    ) -> BoxFuture<'static, Result<Vec<bool>, String>> {
        let client = self.blob_client(member);
        let asked = hashes.len();
        let hashes = hashes.iter().map(|hash| hash.0.to_vec()).collect();
        let request = self.blob_request(TouchBlobsRequest { hashes }, timeout);
        Box::pin(async move {
            let stored = client?.touch_blobs(request).await.map_err(described)?.into_inner().stored;
            if stored.len() != asked {
                return Err(format!("answered {} flags for {asked} blobs", stored.len()));
            }
            Ok(stored)
        })
    }

    fn get(
        &self,
        member: u64,
        hash: BlobHash,
        timeout: Duration,
    ) -> BoxFuture<'static, Result<Option<Vec<u8>>, String>> {
        let client = self.blob_client(member);
        let request = self.blob_request(GetBlobRequest { hash: hash.0.to_vec() }, timeout);
        Box::pin(async move {
            let answer = client?.get_blob(request).await.map_err(described)?.into_inner();
            Ok(answer.found.then_some(answer.data))
        })
    }
}

impl Peers {
    /// Asks `member`, the leader of CP group `group`, for its read index (the blob
    /// collector's barrier, `cp/node_barrier.rs`); within `timeout`.
    pub(super) async fn read_index(&self, member: u64, group: &str, timeout: Duration) -> Result<u64, String> {
        let request = self.blob_request(ReadIndexRequest { group: group.to_owned() }, timeout);
        let answer = self.blob_client(member)?.read_index(request).await.map_err(described)?;
        Ok(answer.into_inner().index)
    }
}
