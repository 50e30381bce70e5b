//! Turning a [`StructureOutput`] into the lines `coterie local` prints.
//!
//! Pure, and plain enough for scripts: one line per scalar (`42`, `true`, `ok` for "done,
//! nothing to report", `(null)` for an absent value), one line per item of a page or a
//! drain (`key`, or `key = value` for map entries), then `next: <cursor>` when the listing
//! continues (pass the cursor to `--after`). Bytes print as UTF-8 when they are valid UTF-8
//! without control characters, and as `0x` + lowercase hex otherwise, so every item stays on
//! one line.

use coterie_core::kinds::atomic_long::AtomicLongOutput;
use coterie_core::kinds::atomic_reference::AtomicReferenceOutput;
use coterie_core::kinds::barrier::BarrierOutput;
use coterie_core::kinds::bucket::{BucketOutput, ObjectMeta};
use coterie_core::kinds::count_down_latch::CountDownLatchOutput;
use coterie_core::kinds::counter::CounterOutput;
use coterie_core::kinds::cp_semaphore::CpSemaphoreOutput;
use coterie_core::kinds::fenced_lock::FencedLockOutput;
use coterie_core::kinds::lock::LockOutput;
use coterie_core::kinds::map::MapOutput;
use coterie_core::kinds::queue::QueueOutput;
use coterie_core::kinds::semaphore::SemaphoreOutput;
use coterie_core::kinds::set::SetOutput;
use coterie_core::{Fence, StructureOutput};

/// What an absent value prints as.
pub const NULL: &str = "(null)";
/// What "done, nothing to report" prints as.
pub const OK: &str = "ok";

/// Bytes as printable text: UTF-8 if they are valid UTF-8 without control characters,
/// otherwise `0x` followed by lowercase hex.
pub fn bytes(value: &[u8]) -> String {
    match std::str::from_utf8(value) {
        Ok(text) if !text.chars().any(char::is_control) => text.to_owned(),
        _ => {
            let hex: String = value.iter().map(|byte| format!("{byte:02x}")).collect();
            format!("0x{hex}")
        }
    }
}

fn maybe(value: Option<&[u8]>) -> String {
    value.map_or_else(|| NULL.to_owned(), bytes)
}

fn fence(fence: Option<Fence>) -> String {
    fence.map_or_else(|| NULL.to_owned(), |fence| fence.0.to_string())
}

/// One line per item, then the cursor line if the listing continues.
fn page<T>(items: &[T], next: Option<&[u8]>, line: impl Fn(&T) -> String) -> Vec<String> {
    let mut lines: Vec<String> = items.iter().map(line).collect();
    if let Some(next) = next {
        lines.push(format!("next: {}", bytes(next)));
    }
    lines
}

fn one(line: impl ToString) -> Vec<String> {
    vec![line.to_string()]
}

/// The lines that show `output`.
pub fn render(output: &StructureOutput) -> Vec<String> {
    match output {
        StructureOutput::AtomicLong(output) => match output {
            AtomicLongOutput::Value(value) => one(value),
            AtomicLongOutput::Bool(value) => one(value),
            AtomicLongOutput::Unit => one(OK),
        },
        StructureOutput::AtomicReference(output) => match output {
            AtomicReferenceOutput::Value(value) => one(maybe(value.as_deref())),
            AtomicReferenceOutput::Bool(value) => one(value),
            AtomicReferenceOutput::Unit => one(OK),
        },
        StructureOutput::Counter(CounterOutput::Value(value)) => one(value),
        StructureOutput::Map(output) => match output {
            MapOutput::Value(value) => one(maybe(value.as_deref())),
            MapOutput::Bool(value) => one(value),
            MapOutput::Count(count) => one(count),
            MapOutput::Keys { keys, next } => page(keys, next.as_deref(), |key| bytes(key)),
            MapOutput::Entries { entries, next } => {
                page(entries, next.as_deref(), |(key, value)| format!("{} = {}", bytes(key), bytes(value)))
            }
        },
        StructureOutput::Set(output) => match output {
            SetOutput::Bool(value) => one(value),
            SetOutput::Count(count) => one(count),
            SetOutput::Members { members, next } => page(members, next.as_deref(), |member| bytes(member)),
        },
        StructureOutput::Queue(output) => match output {
            QueueOutput::Item(item) => one(maybe(item.as_deref())),
            QueueOutput::Items(items) => page(items, None, |item| bytes(item)),
            QueueOutput::Count(count) => one(count),
            QueueOutput::Unit => one(OK),
        },
        StructureOutput::CountDownLatch(output) => match output {
            CountDownLatchOutput::Bool(value) => one(value),
            CountDownLatchOutput::Count(count) | CountDownLatchOutput::Round(count) => one(count),
            CountDownLatchOutput::Unit => one(OK),
        },
        StructureOutput::FencedLock(output) => match output {
            FencedLockOutput::Fence(value) => one(fence(Some(*value))),
            FencedLockOutput::MaybeFence(value) => one(fence(*value)),
            FencedLockOutput::Bool(value) => one(value),
            FencedLockOutput::Count(count) => one(count),
            FencedLockOutput::Unit => one(OK),
        },
        StructureOutput::CpSemaphore(output) => match output {
            CpSemaphoreOutput::Permits(permits) => one(permits),
            CpSemaphoreOutput::Bool(value) => one(value),
            CpSemaphoreOutput::Unit => one(OK),
        },
        StructureOutput::Lock(output) => match output {
            LockOutput::Fence(value) => one(fence(Some(*value))),
            LockOutput::MaybeFence(value) => one(fence(*value)),
            LockOutput::Bool(value) => one(value),
            LockOutput::Holder(None) => one(NULL),
            LockOutput::Holder(Some((owner, value))) => one(format!("{:032x} {}", owner.0, value.0)),
        },
        StructureOutput::Semaphore(output) => match output {
            SemaphoreOutput::Bool(value) => one(value),
            SemaphoreOutput::Count(count) => one(count),
            SemaphoreOutput::Unit => one(OK),
        },
        StructureOutput::Barrier(output) => match output {
            BarrierOutput::Released { round } => one(format!("released {round}")),
            BarrierOutput::TimedOut => one("timed-out"),
            BarrierOutput::Count(count) | BarrierOutput::Round(count) => one(count),
        },
        StructureOutput::Bucket(output) => match output {
            BucketOutput::Written(meta) => one(object(meta)),
            BucketOutput::Deleted { existed } => one(existed),
            BucketOutput::Object { meta, range: None } => one(object(meta)),
            BucketOutput::Object { meta, range: Some(span) } => {
                vec![object(meta), format!("range {}..{}", span.start, span.end)]
            }
            BucketOutput::Listing(page) => {
                let mut lines: Vec<String> =
                    page.entries.iter().map(|(key, meta)| format!("{key} {}", object(meta))).collect();
                lines.extend(page.common_prefixes.iter().cloned());
                lines.extend(page.next_start_after.iter().map(|next| format!("next: {next}")));
                lines
            }
        },
    }
}

/// One object's metadata on one line: `etag=... version=... size=...`.
fn object(meta: &ObjectMeta) -> String {
    format!("etag={} version={} size={}", meta.etag, meta.version, meta.size)
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
