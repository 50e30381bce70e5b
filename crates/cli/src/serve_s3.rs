//! `coterie serve --s3 ADDR`: the S3-compatible HTTP gateway (crate `coterie-s3`) beside the
//! member's gRPC port, over the same node.
//!
//! The gateway refuses every request not signed (AWS Signature V4) with the configured access
//! key and secret, so both are required with `--s3`; the secret is best given in a file or
//! the environment rather than on the command line, where `ps` shows it.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use coterie_s3::Credentials;

/// The gateway's flags.
#[derive(Debug, Default, Args)]
pub(crate) struct S3Args {
    /// Also serve an S3-compatible HTTP API (path-style, Signature V4) on HOST:PORT. S3
    /// buckets are Bucket structures of group "default"; only the group's leader serves them
    /// (other members answer 503 ServiceUnavailable, which S3 clients retry).
    #[arg(long = "s3", value_name = "HOST:PORT")]
    pub(crate) address: Option<SocketAddr>,
    /// The access key id S3 clients sign with (required with --s3).
    #[arg(long = "s3-access-key", env = "COTERIE_S3_ACCESS_KEY", value_name = "KEY")]
    pub(crate) access_key: Option<String>,
    /// The secret S3 clients sign with (prefer --s3-secret-key-file).
    #[arg(long = "s3-secret-key", env = "COTERIE_S3_SECRET_KEY", hide_env_values = true, value_name = "SECRET")]
    pub(crate) secret_key: Option<String>,
    /// A file holding the secret S3 clients sign with.
    #[arg(long = "s3-secret-key-file", value_name = "FILE", conflicts_with = "secret_key")]
    pub(crate) secret_key_file: Option<PathBuf>,
}

/// Why the gateway's flags cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum S3ArgsError {
    /// A key is missing.
    #[error(
        "--s3 needs --s3-access-key and --s3-secret-key (or --s3-secret-key-file, or COTERIE_S3_ACCESS_KEY and \
         COTERIE_S3_SECRET_KEY): the gateway refuses unsigned requests"
    )]
    MissingKey,
    /// The secret's file cannot be read.
    #[error("cannot read the S3 secret key file {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

impl S3Args {
    /// The gateway's address and credentials, if `--s3` was given.
    pub(crate) fn resolve(&self) -> Result<Option<(SocketAddr, Credentials)>, S3ArgsError> {
        let Some(address) = self.address else { return Ok(None) };
        let secret_key = match (&self.secret_key, &self.secret_key_file) {
            (Some(secret), _) => secret.trim().to_owned(),
            (None, Some(path)) => std::fs::read_to_string(path)
                .map_err(|err| S3ArgsError::File { path: path.clone(), reason: err.to_string() })?
                .trim()
                .to_owned(),
            (None, None) => String::new(),
        };
        let access_key = self.access_key.clone().unwrap_or_default().trim().to_owned();
        if access_key.is_empty() || secret_key.is_empty() {
            return Err(S3ArgsError::MissingKey);
        }
        Ok(Some((address, Credentials { access_key, secret_key })))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code: a failure should panic")]

    use super::*;

    #[test]
    fn the_gateway_needs_both_keys_and_reads_the_secret_from_a_file() {
        assert!(S3Args::default().resolve().unwrap().is_none(), "no --s3, no gateway");
        let address = Some("127.0.0.1:9000".parse().unwrap());
        let no_secret = S3Args { address, access_key: Some("k".into()), ..S3Args::default() };
        assert!(matches!(no_secret.resolve(), Err(S3ArgsError::MissingKey)));
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "s3cret\n").unwrap();
        let args = S3Args {
            address,
            access_key: Some("k".into()),
            secret_key_file: Some(file.path().to_path_buf()),
            ..S3Args::default()
        };
        let (_, credentials) = args.resolve().unwrap().unwrap();
        assert_eq!((credentials.access_key.as_str(), credentials.secret_key.as_str()), ("k", "s3cret"));
    }
}
