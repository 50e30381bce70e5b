//! The [`object_store`](::object_store) crate's [`ObjectStore`] over a Coterie bucket, so code
//! written against that trait (DataFusion, Arrow, Parquet readers, Delta and Iceberg
//! clients) stores its objects in a cluster with no gateway in between.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use coterie_client::Client;
//! use coterie_client::object_store::BucketObjectStore;
//! use object_store::{ObjectStore, ObjectStoreExt, PutMode, path::Path};
//!
//! let client = Client::connect(&["127.0.0.1:7101"]).await?;
//! let store = BucketObjectStore::new(client.bucket("tables")?);
//! let path = Path::from("events/part-0.parquet");
//! store.put_opts(&path, "bytes".into(), PutMode::Create.into()).await?;
//! let bytes = store.get(&path).await?.bytes().await?;
//! # Ok(()) }
//! ```
//!
//! **Why this maps so directly.** Every conditional operation of the trait is one atomic
//! bucket operation: `PutMode::Create` is a create-only put, `PutMode::Update` a put if the
//! ETag (or version) matches, `copy_if_not_exists` a copy if the destination is absent, and
//! `rename` one command that moves the object (never both keys, never neither), where the
//! trait's default is a copy and then a delete. `put_multipart` is one streamed put
//! (`upload.rs`); [`MultipartStore`](::object_store::multipart::MultipartStore) is the
//! bucket's multipart uploads with numbered parts (`multipart.rs`). Paths are keys as [`Path`] spells them (percent-encoded parts joined by
//! `/`); a listing's prefix `a/b` lists the keys under `a/b/`, with `/` as the delimiter.
//! [`PaginatedListStore`](::object_store::list::PaginatedListStore) pages with the
//! bucket's own continuation as its token (`paginated.rs`).
//!
//! **What differs on purpose.** A bucket keeps one version of each key, so
//! [`ObjectMeta::version`](::object_store::ObjectMeta) is `None`, and `GetOptions::version`
//! reads only the live version (any other is `NotFound`); puts answer their version number,
//! which `PutMode::Update` accepts when no ETag is given. Attributes are the bucket's content
//! type and user attributes (`Attribute::Metadata`); a put with any other attribute or with
//! tags is refused (`NotImplemented`) rather than stored without them.
//!
//! **Why a feature.** This module is behind the client's `object-store` feature (off by
//! default): `object_store` brings `url`, `chrono`, `http` and `itertools` into every crate
//! that depends on the client, which the CLI, the S3 gateway and the benchmarks do not need.

mod convert;
mod multipart;
mod paginated;
mod upload;

use std::fmt;
use std::time::Duration;

use ::object_store::path::Path;
use ::object_store::{
    CopyMode, CopyOptions, GetOptions, GetResult, GetResultPayload, ListResult, MultipartUpload, ObjectMeta,
    ObjectStore, PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions, RenameTargetMode,
};
use bytes::Bytes;
use coterie_core::kinds::bucket::DeleteCondition;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};

pub use upload::BucketUpload;

use crate::bucket::{self, Bucket, ListOptions};

/// How many deletes of one `delete_stream` are in flight at once.
const DELETE_CONCURRENCY: usize = 8;

/// An [`ObjectStore`] over one bucket. Cheap to clone (a clone of the [`Bucket`] handle).
#[derive(Clone)]
pub struct BucketObjectStore {
    bucket: Bucket,
    upload_timeout: Duration,
    /// The keys one bucket listing call asks for (`None`: the bucket's page, 1000).
    list_page: Option<u32>,
}

impl BucketObjectStore {
    /// The store of `bucket`'s objects. Multipart uploads may take
    /// [`BucketObjectStore::DEFAULT_UPLOAD_TIMEOUT`]; other calls take the client's call
    /// timeout.
    pub fn new(bucket: Bucket) -> Self {
        BucketObjectStore { bucket, upload_timeout: Self::DEFAULT_UPLOAD_TIMEOUT, list_page: None }
    }

    /// How long a multipart upload may take from its start to its commit, by default (the
    /// server's default bound on one call, 10 minutes).
    pub const DEFAULT_UPLOAD_TIMEOUT: Duration = Duration::from_secs(600);

    /// This store with multipart uploads bounded by `timeout` (from `put_multipart_opts` to
    /// the commit, parts included); the server bounds it by its own `max_call_timeout`.
    pub fn with_upload_timeout(mut self, timeout: Duration) -> Self {
        self.upload_timeout = timeout;
        self
    }

    /// This store with listings fetched `keys` items per bucket call (1 to 1000; default
    /// 1000). A listing pages through the bucket's continuation whatever the page size.
    pub fn with_list_page_size(mut self, keys: u32) -> Self {
        self.list_page = Some(keys.clamp(1, coterie_core::kinds::bucket::MAX_LIST_KEYS));
        self
    }

    /// The bucket this store writes to.
    pub fn bucket(&self) -> &Bucket {
        &self.bucket
    }

    /// Renames `from` to `to`, or copies it (`rename: false`), in one bucket command.
    async fn transfer(&self, from: &Path, to: &Path, if_not_exists: bool, rename: bool) -> ::object_store::Result<()> {
        let options = bucket::CopyOptions { if_not_exists, ..bucket::CopyOptions::default() };
        let done = if rename {
            self.bucket.rename(from.as_ref(), to.as_ref(), options).await
        } else {
            self.bucket.copy(from.as_ref(), to.as_ref(), options).await
        };
        // A missing source is named by `from`; an existing destination by `to`.
        done.map(drop).map_err(|err| match convert::error(to.as_ref(), err) {
            ::object_store::Error::NotFound { source, .. } => {
                ::object_store::Error::NotFound { path: from.to_string(), source }
            }
            other => other,
        })
    }

    /// One page of the listing under `prefix` (as a key prefix) after `start_after`.
    async fn page(
        bucket: &Bucket,
        prefix: &str,
        delimiter: bool,
        start_after: Option<String>,
        max_keys: Option<u32>,
    ) -> ::object_store::Result<bucket::ListPage> {
        let options = ListOptions {
            prefix: prefix.to_owned(),
            delimiter: delimiter.then(|| "/".to_owned()),
            start_after,
            max_keys,
        };
        bucket.list(options).await.map_err(|err| convert::error(prefix, err))
    }

    /// Every live object under `prefix` after `offset`, page by page.
    fn listing(
        &self,
        prefix: Option<&Path>,
        offset: Option<&Path>,
    ) -> BoxStream<'static, ::object_store::Result<ObjectMeta>> {
        let (bucket, max_keys) = (self.bucket.clone(), self.list_page);
        let prefix = key_prefix(prefix);
        let start = offset.map(|offset| offset.to_string());
        let pages = futures_util::stream::try_unfold(Some(start), move |next| {
            let (bucket, prefix) = (bucket.clone(), prefix.clone());
            async move {
                let Some(start_after) = next else { return Ok::<_, ::object_store::Error>(None) };
                let page = Self::page(&bucket, &prefix, false, start_after, max_keys).await?;
                let next = page.next_start_after.map(Some);
                let metas: Vec<_> = page.objects.iter().map(convert::meta).collect();
                Ok(Some((futures_util::stream::iter(metas), next)))
            }
        });
        pages.try_flatten().boxed()
    }
}

/// The key prefix that lists the objects under `prefix` (all of them for none or the root).
fn key_prefix(prefix: Option<&Path>) -> String {
    match prefix.map(Path::as_ref) {
        None | Some("") => String::new(),
        Some(prefix) => format!("{prefix}/"),
    }
}

impl fmt::Debug for BucketObjectStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BucketObjectStore")
            .field("bucket", &self.bucket)
            .field("upload_timeout", &self.upload_timeout)
            .field("list_page", &self.list_page)
            .finish()
    }
}

impl fmt::Display for BucketObjectStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Coterie({}@{})", self.bucket.name(), self.bucket.group())
    }
}

#[async_trait::async_trait]
impl ObjectStore for BucketObjectStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> ::object_store::Result<PutResult> {
        let options = convert::put_options(location.as_ref(), &opts.mode, &opts.tags, &opts.attributes)?;
        // One buffer as it is; several joined (the payload is in memory already, and a put
        // of a slice can be resent whole after any failure, unlike a streamed one).
        let data = Bytes::from(payload);
        let info = self.bucket.put(location.as_ref(), &data, options).await;
        let info = info.map_err(|err| convert::error(location.as_ref(), err))?;
        Ok(PutResult {
            e_tag: Some(info.etag),
            version: Some(info.version.to_string()),
            extensions: Default::default(),
        })
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> ::object_store::Result<Box<dyn MultipartUpload>> {
        let overwrite = ::object_store::PutMode::Overwrite;
        let options = convert::put_options(location.as_ref(), &overwrite, &opts.tags, &opts.attributes)?;
        let (bucket, key, timeout) = (self.bucket.clone(), location.to_string(), self.upload_timeout);
        let upload = BucketUpload::start(location.clone(), move |body| async move {
            bucket.put_stream(&key, body, options, timeout).await
        })?;
        Ok(Box::new(upload))
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> ::object_store::Result<GetResult> {
        let key = location.as_ref();
        let conditions = convert::read_conditions(&options);
        let wanted = options.version.as_deref();
        let wrong_version = |found: u64| match wanted {
            Some(version) if version != found.to_string() => Err(::object_store::Error::NotFound {
                path: key.to_owned(),
                source: Box::new(convert::Message(format!(
                    "version {version} is not the live one ({found}); a bucket keeps only the live version"
                ))),
            }),
            _ => Ok(()),
        };
        if options.head {
            let info = self.bucket.head(key, conditions).await.map_err(|err| convert::error(key, err))?;
            wrong_version(info.version)?;
            let empty = futures_util::stream::empty().boxed();
            return Ok(GetResult {
                payload: GetResultPayload::Stream(empty),
                meta: convert::meta(&info)?,
                range: 0..info.size,
                attributes: convert::attributes(&info),
                extensions: Default::default(),
            });
        }
        let range = options.range.as_ref().map(convert::byte_range);
        let read = bucket::GetOptions { conditions, range };
        let object = self.bucket.get_stream(key, read).await.map_err(|err| convert::error(key, err))?;
        wrong_version(object.info.version)?;
        let path = key.to_owned();
        let data = object.data.map_ok(Bytes::from).map_err(move |err| convert::error(&path, err)).boxed();
        Ok(GetResult {
            payload: GetResultPayload::Stream(data),
            meta: convert::meta(&object.info)?,
            range: object.range,
            attributes: convert::attributes(&object.info),
            extensions: Default::default(),
        })
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, ::object_store::Result<Path>>,
    ) -> BoxStream<'static, ::object_store::Result<Path>> {
        let bucket = self.bucket.clone();
        locations
            .map(move |location| {
                let bucket = bucket.clone();
                async move {
                    let location = location?;
                    // Deleting an absent key succeeds, as in S3.
                    bucket
                        .delete(location.as_ref(), DeleteCondition::Any, None)
                        .await
                        .map_err(|err| convert::error(location.as_ref(), err))?;
                    Ok(location)
                }
            })
            .buffered(DELETE_CONCURRENCY)
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, ::object_store::Result<ObjectMeta>> {
        self.listing(prefix, None)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, ::object_store::Result<ObjectMeta>> {
        self.listing(prefix, Some(offset))
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> ::object_store::Result<ListResult> {
        let prefix = key_prefix(prefix);
        let (mut objects, mut common_prefixes, mut start_after) = (Vec::new(), Vec::new(), None);
        loop {
            let page = Self::page(&self.bucket, &prefix, true, start_after, self.list_page).await?;
            for info in &page.objects {
                objects.push(convert::meta(info)?);
            }
            for common in &page.common_prefixes {
                common_prefixes.push(Path::parse(common.strip_suffix('/').unwrap_or(common))?);
            }
            match page.next_start_after {
                Some(next) => start_after = Some(next),
                None => break,
            }
        }
        Ok(ListResult { common_prefixes, objects, extensions: Default::default() })
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> ::object_store::Result<()> {
        self.transfer(from, to, options.mode == CopyMode::Create, false).await
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> ::object_store::Result<()> {
        self.transfer(from, to, options.target_mode == RenameTargetMode::Create, true).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_lists_the_keys_under_its_directory() {
        assert_eq!(key_prefix(None), "");
        assert_eq!(key_prefix(Some(&Path::from("/"))), "");
        assert_eq!(key_prefix(Some(&Path::from("a/b"))), "a/b/");
    }
}
