//! `coterie object`: a cluster's buckets from the command line (seed 003's conditional
//! writes), through the Rust client's bucket handle as an application would use it.
//!
//! Conditions are flags (`--create-only`, `--if-match ETAG`, `--if-none-match ETAG`,
//! `--if-not-exists`, `--fence N`); values come from a file, from stdin (`-`) or from
//! `--value`; `get` writes the bytes raw to stdout or to `--out FILE`. A failed condition is
//! the structure refusing the command: exit status 1 with the reason on stderr, as for every
//! data command.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use clap::{Args, Subcommand};
use coterie_client::bucket::{CopyOptions, GetOptions, ListOptions, ObjectInfo, PutOptions, ReadConditions};
use coterie_client::{Client, ClientError};
use coterie_core::kinds::bucket::{ByteRange, DeleteCondition, ETag, EtagMatch, PutCondition};

use crate::Outcome;

/// `coterie object ...`.
#[derive(Debug, Args)]
pub(crate) struct ObjectArgs {
    #[command(subcommand)]
    command: ObjectCommand,
}

/// Where a put's bytes come from.
#[derive(Debug, Args)]
struct Source {
    /// A file to upload, or `-` for stdin.
    #[arg(value_name = "FILE", conflicts_with = "value")]
    file: Option<PathBuf>,
    /// The object's content as a UTF-8 string instead of a file.
    #[arg(long)]
    value: Option<String>,
}

#[derive(Debug, Subcommand)]
enum ObjectCommand {
    /// Write an object (conditions: --create-only, --if-match, --if-version, --fence).
    Put {
        /// The bucket (`name`, or `name@group`).
        bucket: String,
        /// The object's key.
        key: String,
        #[command(flatten)]
        source: Source,
        /// Only if the key has no object (a lock, a leader election).
        #[arg(long, conflicts_with_all = ["if_match", "if_version"])]
        create_only: bool,
        /// Only if the object's ETag is this one (compare-and-swap).
        #[arg(long, value_name = "ETAG", conflicts_with = "if_version")]
        if_match: Option<String>,
        /// Only if the object's version is this one.
        #[arg(long, value_name = "VERSION")]
        if_version: Option<u64>,
        /// Expire the object after this long (by the cluster's clock): 30s, 500ms, 2m.
        #[arg(long, value_parser = coterie_bench::duration::parse_duration)]
        ttl: Option<Duration>,
        /// The MIME type.
        #[arg(long)]
        content_type: Option<String>,
        /// A user attribute, NAME=VALUE (repeatable).
        #[arg(long = "attr", value_name = "NAME=VALUE", value_parser = parse_attribute)]
        attributes: Vec<(String, String)>,
        /// Refuse the write if the key has seen a higher fence (a stale lock holder's).
        #[arg(long, value_name = "N")]
        fence: Option<u64>,
    },
    /// Read an object's bytes (to stdout, or --out FILE).
    Get {
        /// The bucket.
        bucket: String,
        /// The object's key.
        key: String,
        /// Write the bytes here instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Bytes START-END (END exclusive), START- or -LEN (the last LEN bytes).
        #[arg(long, value_parser = parse_range)]
        range: Option<ByteRange>,
        #[command(flatten)]
        conditions: Conditions,
    },
    /// Show an object's metadata.
    Head {
        /// The bucket.
        bucket: String,
        /// The object's key.
        key: String,
        #[command(flatten)]
        conditions: Conditions,
    },
    /// List keys (one page; --start-after for the next).
    Ls {
        /// The bucket.
        bucket: String,
        /// Only keys starting with this.
        #[arg(default_value = "")]
        prefix: String,
        /// Roll keys up to this into common prefixes (`/` lists like directories).
        #[arg(long)]
        delimiter: Option<String>,
        /// Only keys after this one.
        #[arg(long)]
        start_after: Option<String>,
        /// At most this many entries (1 to 1000).
        #[arg(long)]
        max_keys: Option<u32>,
    },
    /// Delete an object (optionally only if its ETag or version matches).
    Rm {
        /// The bucket.
        bucket: String,
        /// The object's key.
        key: String,
        /// Only if the object's ETag is this one.
        #[arg(long, value_name = "ETAG", conflicts_with = "if_version")]
        if_match: Option<String>,
        /// Only if the object's version is this one.
        #[arg(long, value_name = "VERSION")]
        if_version: Option<u64>,
        /// Refuse if the key has seen a higher fence.
        #[arg(long, value_name = "N")]
        fence: Option<u64>,
    },
    /// Copy an object to another key of the bucket, atomically.
    Cp(Transfer),
    /// Move an object to another key of the bucket in one step (never both, never neither).
    Mv(Transfer),
    /// Set an object's time to live (`none` clears it), optionally only if its ETag matches.
    Ttl {
        /// The bucket.
        bucket: String,
        /// The object's key.
        key: String,
        /// 30s, 500ms, 2m, or `none`.
        ttl: String,
        /// Only if the object's ETag is this one (the lock holder's renewal).
        #[arg(long, value_name = "ETAG")]
        if_match: Option<String>,
    },
}

/// A read's conditions.
#[derive(Debug, Args)]
struct Conditions {
    /// Refuse (precondition failed) unless the object's ETag is this one.
    #[arg(long, value_name = "ETAG")]
    if_match: Option<String>,
    /// Answer "not modified" if the object's ETag is still this one (a cache revalidation).
    #[arg(long, value_name = "ETAG")]
    if_none_match: Option<String>,
}

/// `cp` and `mv`.
#[derive(Debug, Args)]
struct Transfer {
    /// The bucket.
    bucket: String,
    /// The source key.
    from: String,
    /// The destination key.
    to: String,
    /// Only if the destination does not exist.
    #[arg(long)]
    if_not_exists: bool,
    /// Only if the source's ETag is this one.
    #[arg(long, value_name = "ETAG")]
    if_match: Option<String>,
    /// Refuse if the destination (or a move's source) has seen a higher fence.
    #[arg(long, value_name = "N")]
    fence: Option<u64>,
}

fn parse_attribute(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .ok_or_else(|| format!("{text:?} is not NAME=VALUE"))
}

fn parse_range(text: &str) -> Result<ByteRange, String> {
    let bad = || format!("{text:?} is not a byte range: write START-END (END exclusive), START- or -LEN");
    let (start, end) = text.split_once('-').ok_or_else(bad)?;
    let number = |s: &str| s.parse::<u64>().map_err(|_| bad());
    match (start.is_empty(), end.is_empty()) {
        (true, false) => Ok(ByteRange::Suffix { len: number(end)? }),
        (false, true) => Ok(ByteRange::From { start: number(start)? }),
        (false, false) => Ok(ByteRange::Bounded { start: number(start)?, end: number(end)? }),
        (true, true) => Err(bad()),
    }
}

fn read_conditions(conditions: &Conditions) -> ReadConditions {
    let one = |etag: &Option<String>| etag.as_ref().map(|etag| EtagMatch::OneOf(vec![ETag::new(etag)]));
    ReadConditions {
        if_match: one(&conditions.if_match),
        if_none_match: one(&conditions.if_none_match),
        ..Default::default()
    }
}

fn read_source(source: &Source) -> anyhow::Result<Vec<u8>> {
    match (&source.value, &source.file) {
        (Some(value), _) => Ok(value.clone().into_bytes()),
        (None, Some(path)) if path.as_os_str() != "-" => {
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
        }
        (None, _) => {
            let mut bytes = Vec::new();
            std::io::stdin().lock().read_to_end(&mut bytes).context("cannot read stdin")?;
            Ok(bytes)
        }
    }
}

fn millis(time: SystemTime) -> u128 {
    time.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_millis())
}

/// One line per object: key, ETag, version, size, and what else it has.
fn describe(info: &ObjectInfo) -> String {
    let mut line = format!("{}  etag={}  version={}  size={}", info.key, info.etag, info.version, info.size);
    line.push_str(&format!("  last_modified_ms={}", millis(info.last_modified)));
    if let Some(expires) = info.expires_at {
        line.push_str(&format!("  expires_at_ms={}", millis(expires)));
    }
    if let Some(content_type) = &info.content_type {
        line.push_str(&format!("  content_type={content_type}"));
    }
    for (name, value) in &info.attributes {
        line.push_str(&format!("  {name}={value}"));
    }
    line
}

fn lines(lines: &[String]) -> anyhow::Result<Outcome> {
    crate::print_lines(lines)?;
    Ok(Outcome::Done)
}

/// Runs `coterie object ...` against the cluster at `endpoints`.
pub(crate) async fn run(endpoints: &[String], args: &ObjectArgs) -> anyhow::Result<Outcome> {
    let client = Client::connect(endpoints).await?;
    match run_with(&client, &args.command).await {
        Ok(outcome) => Ok(outcome),
        Err(err) => match err.downcast::<ClientError>() {
            Ok(ClientError::Refused(refusal)) => Ok(Outcome::Refused(refusal.to_string())),
            Ok(other) => Err(other.into()),
            Err(other) => Err(other),
        },
    }
}

async fn run_with(client: &Client<coterie_client::GrpcTransport>, command: &ObjectCommand) -> anyhow::Result<Outcome> {
    match command {
        ObjectCommand::Put {
            bucket,
            key,
            source,
            create_only,
            if_match,
            if_version,
            ttl,
            content_type,
            attributes,
            fence,
        } => {
            let condition = match (create_only, if_match, if_version) {
                (true, _, _) => PutCondition::CreateOnly,
                (false, Some(etag), _) => PutCondition::IfMatch(ETag::new(etag)),
                (false, None, Some(version)) => PutCondition::IfVersion(*version),
                (false, None, None) => PutCondition::Overwrite,
            };
            let options = PutOptions {
                condition,
                content_type: content_type.clone(),
                attributes: attributes.iter().cloned().collect::<BTreeMap<_, _>>(),
                ttl: *ttl,
                if_fence_at_least: *fence,
            };
            let data = read_source(source)?;
            let info = client.bucket(bucket)?.put(key, &data, options).await?;
            lines(&[describe(&info)])
        }
        ObjectCommand::Get { bucket, key, out, range, conditions } => {
            let options = GetOptions { conditions: read_conditions(conditions), range: *range };
            let object = client.bucket(bucket)?.get(key, options).await?;
            match out {
                Some(path) => {
                    std::fs::write(path, &object.data).with_context(|| format!("cannot write {}", path.display()))?;
                    lines(&[describe(&object.info)])
                }
                None => {
                    let mut stdout = std::io::stdout().lock();
                    stdout.write_all(&object.data).context("cannot write to stdout")?;
                    stdout.flush().context("cannot write to stdout")?;
                    Ok(Outcome::Done)
                }
            }
        }
        ObjectCommand::Head { bucket, key, conditions } => {
            let info = client.bucket(bucket)?.head(key, read_conditions(conditions)).await?;
            lines(&[describe(&info)])
        }
        ObjectCommand::Ls { bucket, prefix, delimiter, start_after, max_keys } => {
            let options = ListOptions {
                prefix: prefix.clone(),
                delimiter: delimiter.clone(),
                start_after: start_after.clone(),
                max_keys: *max_keys,
            };
            let page = client.bucket(bucket)?.list(options).await?;
            let mut out: Vec<String> =
                page.common_prefixes.iter().map(|prefix| format!("{prefix}  (prefix)")).collect();
            out.extend(page.objects.iter().map(describe));
            if let Some(next) = page.next_start_after {
                out.push(format!("(more: --start-after {next})"));
            }
            lines(&out)
        }
        ObjectCommand::Rm { bucket, key, if_match, if_version, fence } => {
            let condition = match (if_match, if_version) {
                (Some(etag), _) => DeleteCondition::IfMatch(ETag::new(etag)),
                (None, Some(version)) => DeleteCondition::IfVersion(*version),
                (None, None) => DeleteCondition::Any,
            };
            let existed = client.bucket(bucket)?.delete(key, condition, *fence).await?;
            lines(&[if existed { format!("deleted {key}") } else { format!("{key} did not exist") }])
        }
        ObjectCommand::Cp(transfer) | ObjectCommand::Mv(transfer) => {
            let options = CopyOptions {
                source_if_match: transfer.if_match.clone(),
                if_not_exists: transfer.if_not_exists,
                if_fence_at_least: transfer.fence,
            };
            let bucket = client.bucket(&transfer.bucket)?;
            let info = if matches!(command, ObjectCommand::Cp(_)) {
                bucket.copy(&transfer.from, &transfer.to, options).await?
            } else {
                bucket.rename(&transfer.from, &transfer.to, options).await?
            };
            lines(&[describe(&info)])
        }
        ObjectCommand::Ttl { bucket, key, ttl, if_match } => {
            let ttl = match ttl.as_str() {
                "none" => None,
                text => Some(coterie_bench::duration::parse_duration(text).map_err(anyhow::Error::msg)?),
            };
            let info = client.bucket(bucket)?.set_ttl(key, ttl, if_match.as_deref()).await?;
            lines(&[describe(&info)])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_in_the_three_http_forms_and_nothing_else() {
        assert_eq!(parse_range("2-10"), Ok(ByteRange::Bounded { start: 2, end: 10 }));
        assert_eq!(parse_range("5-"), Ok(ByteRange::From { start: 5 }));
        assert_eq!(parse_range("-7"), Ok(ByteRange::Suffix { len: 7 }));
        for bad in ["", "-", "a-b", "3", "1-2-3"] {
            assert!(parse_range(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_attribute("owner=me"), Ok(("owner".to_owned(), "me".to_owned())));
        assert!(parse_attribute("no-equals").is_err());
    }
}
