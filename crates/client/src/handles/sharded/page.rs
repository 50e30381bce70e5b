//! Pages of a sharded Map's or Set's listing (keys, entries, members).
//!
//! A sharded listing spans every partition that holds a shard of the structure, so the
//! server pages it with a cursor of its own (the partition it stopped in and the last key
//! returned there): opaque here, passed back as it came. A listing is ordered by partition,
//! then by key, not by key overall; every key present for the whole listing is returned
//! exactly once, and one added or removed meanwhile may or may not be.

/// Where a listing resumes: pass it to the next call of the same listing. Opaque.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cursor(pub(crate) Vec<u8>);

impl Cursor {
    /// The cursor's bytes, to keep it outside the process (a web page's "next" link).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// A cursor from bytes an earlier [`Cursor::as_bytes`] gave; the server refuses bytes
    /// it did not make, with the reason.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Self {
        Cursor(bytes.into())
    }
}

/// One page of a listing and where the next page starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<I> {
    /// The page's items.
    pub items: Vec<I>,
    /// `None`: the listing is complete; otherwise pass it to get the rest.
    pub next: Option<Cursor>,
}

/// How many items one page request asks for when collecting a whole listing.
pub(crate) const COLLECT_PAGE: u32 = 1_000;

/// Collects a listing, one page at a time through `page(cursor, limit)`, until it is
/// complete or at least `max` items (1 or more; 0 counts as 1) are collected. Answers the
/// items with the cursor of the rest (`None`: complete), so a listing larger than `max` is
/// never cut silently. A page may hold fewer items than asked (the server stops a page at
/// a partition's end), so this asks again until the listing says it is complete.
pub(crate) async fn collect<I, E, F, Fut>(max: usize, mut page: F) -> Result<Page<I>, E>
where
    F: FnMut(Option<Cursor>, u32) -> Fut,
    Fut: std::future::Future<Output = Result<Page<I>, E>>,
{
    let mut items = Vec::new();
    let mut cursor = None;
    loop {
        let left = max.saturating_sub(items.len()).max(1);
        let limit = u32::try_from(left).unwrap_or(u32::MAX).min(COLLECT_PAGE);
        let got = page(cursor.take(), limit).await?;
        items.extend(got.items);
        match got.next {
            None => return Ok(Page { items, next: None }),
            Some(next) if items.len() >= max => return Ok(Page { items, next: Some(next) }),
            Some(next) => cursor = Some(next),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A listing of `total` numbers served in pages of at most `cap` (fewer when asked for
    /// fewer), its cursor the next number as 8 bytes; records every limit asked for.
    fn listing(total: u64, cap: u32, asked: &mut Vec<u32>, cursor: Option<Cursor>, limit: u32) -> Page<u64> {
        asked.push(limit);
        let from = cursor.map_or(0, |c| u64::from_be_bytes(c.0.try_into().unwrap()));
        let to = (from + u64::from(limit.min(cap))).min(total);
        let next = (to < total).then(|| Cursor(to.to_be_bytes().to_vec()));
        Page { items: (from..to).collect(), next }
    }

    fn run(total: u64, cap: u32, max: usize) -> (Page<u64>, Vec<u32>) {
        let mut asked = Vec::new();
        let future = collect(max, |cursor, limit| {
            let page = listing(total, cap, &mut asked, cursor, limit);
            async move { Ok::<_, ()>(page) }
        });
        let page = block_on(future).unwrap();
        (page, asked)
    }

    /// Polls a future that never waits (every page above is ready at once).
    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
    }

    #[test]
    fn a_whole_listing_is_collected_across_short_pages() {
        let (page, asked) = run(2_500, 700, 10_000);
        assert_eq!(page.items, (0..2_500).collect::<Vec<_>>());
        assert_eq!(page.next, None, "complete");
        assert_eq!(asked, vec![1_000, 1_000, 1_000, 1_000], "pages of at most 1000, asked until complete");
    }

    #[test]
    fn a_listing_larger_than_the_bound_stops_with_the_cursor_of_the_rest() {
        let (page, asked) = run(2_500, 1_000, 1_500);
        assert_eq!(page.items, (0..1_500).collect::<Vec<_>>());
        assert_eq!(page.next, Some(Cursor(1_500u64.to_be_bytes().to_vec())), "the rest starts at 1500");
        assert_eq!(asked, vec![1_000, 500], "never more than the bound asked for");
        let (page, _) = run(0, 1_000, 0);
        assert_eq!((page.items.len(), page.next), (0, None), "an empty listing is complete");
    }
}
