//! The server side of blob traffic between members: `BlobService` stores a peer's part in
//! this member's blob store (checked against its hash) and gives the parts it stores.

use std::sync::Arc;

use coterie_api::pb::blob_service_server::BlobService;
use coterie_api::pb::{GetBlobRequest, GetBlobResponse, PutBlobRequest, PutBlobResponse};
use coterie_api::status;
use coterie_core::CoreError;
use coterie_storage::blob::{BlobError, BlobHash};
use tonic::{Request, Response, Status};

use crate::object::{Blobs, BlobsError};

/// The `BlobService` of a node.
#[derive(Clone)]
pub(super) struct BlobServer {
    blobs: Blobs,
}

impl BlobServer {
    pub(super) fn new(blobs: Blobs) -> Self {
        BlobServer { blobs }
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
        self.blobs.accept(hash, Arc::from(request.data)).await.map_err(failed)?;
        Ok(Response::new(PutBlobResponse {}))
    }

    async fn get_blob(&self, request: Request<GetBlobRequest>) -> Result<Response<GetBlobResponse>, Status> {
        let hash = hash(&request.into_inner().hash)?;
        let store = Arc::clone(self.blobs.store());
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
