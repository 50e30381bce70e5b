//! Appended entries per second: `RedbLog` with an fsync per append call, and `MemoryLog` as
//! the no-disk reference, for batches of 1 and 64 entries of 128-byte payloads; and 16 logs
//! of one file appended at once (`append/redb_fsync_16_logs`), whose commits share fsyncs.
//!
//! Run with `cargo bench -p coterie-storage --bench append`. The database lives under
//! `CARGO_TARGET_TMPDIR` (inside the target directory), so it measures the disk the workspace is
//! on rather than a tmpfs `/tmp`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use coterie_storage::{Entry, LogId, LogStore, MemoryLog, RedbStorage};
use criterion::{BenchmarkGroup, Criterion, Throughput, measurement::WallTime};

const PAYLOAD_BYTES: usize = 128;
/// Appends timed back to back before the log is purged (untimed), so memory stays bounded.
const APPENDS_PER_CHUNK: u64 = 1024;

/// Times `iters` appends of `batch`-entry batches to `log`, purging between chunks untimed.
fn timed_appends(log: &mut dyn LogStore, batch: u64, iters: u64) -> Duration {
    let mut entries: Vec<Entry> =
        (0..batch).map(|_| Entry { log_id: LogId::new(1, 1, 0), payload: vec![0xAB; PAYLOAD_BYTES] }).collect();
    let mut next = or_die(log.log_state(), "log_state").last.map_or(1, |last| last.index + 1);
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let chunk = APPENDS_PER_CHUNK.min(iters - done);
        let start = Instant::now();
        for _ in 0..chunk {
            for (offset, entry) in (0..).zip(entries.iter_mut()) {
                entry.log_id.index = next + offset;
            }
            or_die(log.append(black_box(&entries)), "append");
            next += batch;
        }
        total += start.elapsed();
        done += chunk;
        or_die(log.purge_up_to(LogId::new(1, 1, next - 1)), "purge");
    }
    total
}

/// The value, or a panic naming what failed (a benchmark has nobody to return errors to).
fn or_die<T, E: std::fmt::Display>(result: Result<T, E>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(err) => panic!("{what} failed during the benchmark: {err}"),
    }
}

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
}

fn redb_append(c: &mut Criterion) {
    let dir =
        or_die(tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")), "creating a directory under CARGO_TARGET_TMPDIR");
    let storage = or_die(RedbStorage::open(&dir.path().join("bench.redb")), "open");
    let mut group = c.benchmark_group("append/redb_fsync");
    configure(&mut group);
    for batch in [1u64, 64] {
        let mut log = or_die(storage.log(&format!("bench-{batch}")), "log");
        group.throughput(Throughput::Elements(batch));
        group
            .bench_function(format!("batch_{batch}"), |b| b.iter_custom(|iters| timed_appends(&mut log, batch, iters)));
    }
    group.finish();
}

/// 16 logs of one file appended at once, a thread each, batches of one entry: what 16
/// partitions written concurrently cost (their writes share commits and fsyncs, `disk/commit_queue.rs`).
/// Throughput counts the entries of all 16 logs.
fn redb_concurrent_logs(c: &mut Criterion) {
    const LOGS: u64 = 16;
    let dir =
        or_die(tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")), "creating a directory under CARGO_TARGET_TMPDIR");
    let storage = or_die(RedbStorage::open(&dir.path().join("bench-logs.redb")), "open");
    let mut logs: Vec<_> = (0..LOGS).map(|n| or_die(storage.log(&format!("partition-{n}")), "log")).collect();
    let mut group = c.benchmark_group("append/redb_fsync_16_logs");
    configure(&mut group);
    group.throughput(Throughput::Elements(LOGS));
    group.bench_function("batch_1", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            std::thread::scope(|scope| {
                for log in &mut logs {
                    scope.spawn(move || timed_appends(log, 1, iters));
                }
            });
            start.elapsed()
        })
    });
    group.finish();
}

fn memory_append(c: &mut Criterion) {
    let mut group = c.benchmark_group("append/memory");
    configure(&mut group);
    for batch in [1u64, 64] {
        let mut log = MemoryLog::new();
        group.throughput(Throughput::Elements(batch));
        group
            .bench_function(format!("batch_{batch}"), |b| b.iter_custom(|iters| timed_appends(&mut log, batch, iters)));
    }
    group.finish();
}

// What `criterion_group!`/`criterion_main!` expand to, written out because the macro's
// generated `pub fn` trips the workspace's `missing_docs` lint.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    redb_append(&mut criterion);
    redb_concurrent_logs(&mut criterion);
    memory_append(&mut criterion);
    criterion.final_summary();
}
