//! The server side of blob traffic between members: `BlobService` stores a peer's part in
//! this member's blob store (checked against its hash), gives and refreshes the parts it
//! stores, and answers the blob collector's barrier for the groups this member leads.

use std::sync::Arc;

use coterie_api::pb::blob_service_server::BlobService;
use coterie_api::pb::{
    GetBlobRequest, GetBlobResponse, PutBlobRequest, PutBlobResponse, ReadIndexRequest, ReadIndexResponse,
    TouchBlobsRequest, TouchBlobsResponse,
};
use coterie_api::status;
use coterie_core::{CoreError, EngineError};
use coterie_storage::blob::{BlobError, BlobHash};
use tonic::{Request, Response, Status};

use super::Inner;
use super::api::call_timeout;
use crate::object::BlobsError;

/// The `BlobService` of a node.
#[derive(Clone)]
pub(super) struct BlobServer {
    inner: Arc<Inner>,
}

impl BlobServer {
    pub(super) fn new(inner: Arc<Inner>) -> Self {
        BlobServer { inner }
    }
}

fn hash(bytes: &[u8]) -> Result<BlobHash, Status> {
    <[u8; 32]>::try_from(bytes).map(BlobHash).map_err(|_| {
        status::from_core(&CoreError::invalid_request(
            "blob",
            format!("a blob hash is 32 bytes (a SHA-256), not {}", bytes.len()),
        ))
    })
}

/// Any failure means "not stored here now": the sender counts this member as failed.
fn failed(err: BlobsError) -> Status {
    status::unavailable(err.to_string(), None)
}

#[tonic::async_trait]
impl BlobService for BlobServer {
    async fn put_blob(&self, request: Request<PutBlobRequest>) -> Result<Response<PutBlobResponse>, Status> {
        let request = request.into_inner();
        let hash = hash(&request.hash)?;
        self.inner.blobs.accept(hash, Arc::from(request.data)).await.map_err(failed)?;
        Ok(Response::new(PutBlobResponse {}))
    }

    async fn touch_blobs(&self, request: Request<TouchBlobsRequest>) -> Result<Response<TouchBlobsResponse>, Status> {
        let hashes = request.into_inner().hashes.iter().map(|bytes| hash(bytes)).collect::<Result<Vec<_>, _>>()?;
        let stored = self.inner.blobs.touch_here(hashes).await.map_err(failed)?;
        Ok(Response::new(TouchBlobsResponse { stored }))
    }

    async fn read_index(&self, request: Request<ReadIndexRequest>) -> Result<Response<ReadIndexResponse>, Status> {
        let config = &self.inner.config;
        let timeout = call_timeout(request.metadata(), config.default_call_timeout, config.max_call_timeout);
        let group = request.into_inner().group;
        let Some((_, node)) = self.inner.running().into_iter().find(|(name, _)| *name == group) else {
            return Err(status::unavailable(format!("group {group:?} is not running on this member"), None));
        };
        let index = node.read_index(timeout).await.map_err(|err| status::from_engine(&EngineError::from(err)))?;
        Ok(Response::new(ReadIndexResponse { index }))
    }

    async fn get_blob(&self, request: Request<GetBlobRequest>) -> Result<Response<GetBlobResponse>, Status> {
        let hash = hash(&request.into_inner().hash)?;
        let store = Arc::clone(self.inner.blobs.store());
        let read = tokio::task::spawn_blocking(move || store.get(&hash)).await;
        match read.map_err(|err| status::unavailable(format!("the blob store's worker failed: {err}"), None))? {
            Ok(data) => Ok(Response::new(GetBlobResponse { found: true, data })),
            // A damaged copy is as good as none: the asker tries another member.
            Err(BlobError::NotFound { .. } | BlobError::Corrupt { .. }) => {
                Ok(Response::new(GetBlobResponse { found: false, data: Vec::new() }))
            }
            Err(err) => Err(status::unavailable(err.to_string(), None)),
        }
    }
}
