//! [`MultipartStore`] over the bucket's multipart uploads
//! ([`Bucket::create_upload`](crate::bucket::Bucket::create_upload) and
//! the calls after it): the trait's part index `i` is the bucket's part number `i + 1`, and a
//! part's id is the ETag its upload answered, so the completion's list is checked part by
//! part (a part replaced since, or never uploaded, is refused).
//!
//! Unlike [`put_multipart_opts`](::object_store::ObjectStore::put_multipart_opts) (one
//! streamed put, `upload.rs`), an upload made here can take parts concurrently, in any
//! order, from several processes, and can be completed by another process than the one that
//! created it: the upload lives in the bucket's group, not in this client.

use ::object_store::multipart::{MultipartStore, PartId};
use ::object_store::path::Path;
use ::object_store::{MultipartId, PutMode, PutMultipartOptions, PutPayload, PutResult};
use bytes::Bytes;

use super::{BucketObjectStore, convert};
use crate::bucket::{CompletedPart, PutOptions};

/// The part number of the trait's part index `index`.
fn part_number(path: &Path, index: usize) -> ::object_store::Result<u32> {
    index.checked_add(1).and_then(|number| u32::try_from(number).ok()).ok_or_else(|| ::object_store::Error::Generic {
        store: convert::STORE,
        source: Box::new(convert::Message(format!(
            "part index {index} of the upload of {path} is too large; a bucket numbers at most 10000 parts by default"
        ))),
    })
}

#[async_trait::async_trait]
impl MultipartStore for BucketObjectStore {
    async fn create_multipart(&self, path: &Path) -> ::object_store::Result<MultipartId> {
        self.create_multipart_opts(path, PutMultipartOptions::default()).await
    }

    async fn create_multipart_opts(
        &self,
        path: &Path,
        opts: PutMultipartOptions,
    ) -> ::object_store::Result<MultipartId> {
        let options = convert::put_options(path.as_ref(), &PutMode::Overwrite, &opts.tags, &opts.attributes)?;
        self.bucket().create_upload(path.as_ref(), &options).await.map_err(|err| convert::error(path.as_ref(), err))
    }

    async fn put_part(
        &self,
        path: &Path,
        id: &MultipartId,
        part_idx: usize,
        data: PutPayload,
    ) -> ::object_store::Result<PartId> {
        let number = part_number(path, part_idx)?;
        let data = Bytes::from(data);
        let part = self.bucket().upload_part(path.as_ref(), id, number, &data).await;
        let part = part.map_err(|err| convert::error(path.as_ref(), err))?;
        Ok(PartId { content_id: part.etag })
    }

    async fn complete_multipart(
        &self,
        path: &Path,
        id: &MultipartId,
        parts: Vec<PartId>,
    ) -> ::object_store::Result<PutResult> {
        let mut listed = Vec::with_capacity(parts.len());
        for (index, part) in parts.into_iter().enumerate() {
            listed.push(CompletedPart { number: part_number(path, index)?, etag: Some(part.content_id) });
        }
        let info = self
            .bucket()
            .complete_upload(path.as_ref(), id, &listed, &PutOptions::default())
            .await
            .map_err(|err| convert::error(path.as_ref(), err))?;
        Ok(PutResult {
            e_tag: Some(info.etag),
            version: Some(info.version.to_string()),
            extensions: Default::default(),
        })
    }

    async fn abort_multipart(&self, path: &Path, id: &MultipartId) -> ::object_store::Result<()> {
        self.bucket().abort_upload(path.as_ref(), id).await.map_err(|err| convert::error(path.as_ref(), err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_indexes_from_zero_are_part_numbers_from_one() {
        let path = Path::from("a");
        assert_eq!(part_number(&path, 0).ok(), Some(1));
        assert_eq!(part_number(&path, 9_999).ok(), Some(10_000));
        assert!(part_number(&path, usize::MAX).is_err());
    }
}
