//! [`PaginatedListStore`]: one bucket listing page per call, the page token being the
//! bucket's own continuation (the last item's position), so paging is stateless.

use ::object_store::ListResult;
use ::object_store::list::{PaginatedListOptions, PaginatedListResult, PaginatedListStore};
use ::object_store::path::Path;
use coterie_core::kinds::bucket::MAX_LIST_KEYS;

use super::{BucketObjectStore, convert};
use crate::bucket::ListOptions;

#[async_trait::async_trait]
impl PaginatedListStore for BucketObjectStore {
    /// One page of the keys starting with `prefix` (as given: no delimiter is added),
    /// after `opts.offset` or, on later pages, after the page token. `max_keys` is bounded
    /// to 1 to 1000 (the bucket's page size); common prefixes lose their trailing delimiter.
    async fn list_paginated(
        &self,
        prefix: Option<&str>,
        opts: PaginatedListOptions,
    ) -> ::object_store::Result<PaginatedListResult> {
        let prefix = prefix.unwrap_or_default();
        let delimiter = opts.delimiter.map(|delimiter| delimiter.into_owned()).filter(|d| !d.is_empty());
        let max_keys = opts.max_keys.map(|keys| u32::try_from(keys).unwrap_or(MAX_LIST_KEYS).clamp(1, MAX_LIST_KEYS));
        let options = ListOptions {
            prefix: prefix.to_owned(),
            delimiter: delimiter.clone(),
            start_after: opts.page_token.or(opts.offset),
            max_keys,
        };
        let page = self.bucket().list(options).await.map_err(|err| convert::error(prefix, err))?;
        let objects = page.objects.iter().map(convert::meta).collect::<Result<Vec<_>, _>>()?;
        let mut common_prefixes = Vec::with_capacity(page.common_prefixes.len());
        for common in &page.common_prefixes {
            let trimmed = delimiter.as_deref().and_then(|d| common.strip_suffix(d)).unwrap_or(common);
            common_prefixes.push(Path::parse(trimmed)?);
        }
        let result = ListResult { common_prefixes, objects, extensions: Default::default() };
        Ok(PaginatedListResult { result, page_token: page.next_start_after })
    }
}
