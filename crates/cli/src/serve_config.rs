//! What `coterie serve` runs with: flags over an optional TOML file, checked before anything
//! binds a port or touches the disk.
//!
//! Every member is started with the whole member list (`ID=HOST:PORT` for each, itself
//! included), so any member can be started first and the `default` CP group forms as soon as
//! a majority is up: there is no separate init step to forget or to run twice. The list must
//! therefore be the same on every member; a member whose own id is missing from it is refused.
//!
//! The file's keys are the flags' names with underscores:
//!
//! ```toml
//! id = 1
//! listen = "127.0.0.1:7101"          # default: this member's address in `members`
//! members = ["1=127.0.0.1:7101", "2=127.0.0.1:7102", "3=127.0.0.1:7103"]
//! data_dir = "/var/lib/coterie/1"    # default: in memory (lost on exit)
//! cp_member_count = 3                # default: every member
//! cluster_secret_file = "/etc/coterie/secret"   # default: Raft traffic unauthenticated
//! ```
//!
//! A member added to a running cluster is started with `join = "HOST:PORT"` (any running
//! member, or several separated by commas: the first that answers is used) instead of `members`, with `listen` (and `advertise` when the others reach it at
//! another address): it asks to be added and learns the members from the answer.
//!
//! **Seeds** (`--seeds HOST:PORT,HOST:PORT`, `seeds = [..]`) are the one way to name the
//! cluster to a member: other members' addresses, the same HOST:PORT clients use. With seeds
//! (and no `--gossip`), a member runs gossip membership (SWIM over UDP, failure detection) on
//! its own listen address's port, UDP beside the TCP port, and gossips with the seeds on
//! theirs; a member started without `--members` or `--join` also *joins* through them (any
//! that answers; it keeps trying, within its join timeout, while none does, so members may
//! start in any order). So a cluster is: the CP members started with `--members` (the same
//! list on each; they form the CP groups), every other member with `--seeds` alone, and
//! every one of them with `--seeds` naming a few members:
//!
//! ```text
//! coterie serve --id 1 --members 1=10.0.0.1:7101,2=10.0.0.2:7101,3=10.0.0.3:7101 --seeds 10.0.0.2:7101,10.0.0.3:7101
//! coterie serve --id 4 --listen 10.0.0.4:7101 --seeds 10.0.0.1:7101,10.0.0.2:7101
//! ```
//!
//! A member that listens on `0.0.0.0` gossips at its advertised address (its entry in
//! `members`, or `--advertise`), which must then be an IP address or a name that resolves.
//! The older spelling still works the same: `--gossip IP:PORT` sets the gossip socket
//! explicitly, and then `--seeds` are the other members' *gossip* addresses (and
//! `--gossip-advertise` the address the others reach it at), and joining is `--join` only.
//! Gossip only *suggests* who is alive: the metadata group's leader commits Down and Up.
//!
//! On SIGTERM or Ctrl-C the member leaves the gossip cluster (the others see it Leaving, then
//! Left) before it stops; with `--leave-on-shutdown` it first leaves the *cluster* (as
//! `coterie admin remove-member` of itself: its partitions are handed to the others, it
//! leaves every CP group), bounded by `--shutdown-timeout` (30 s by default). See
//! `serve.rs` for what that means for a restart.
//!
//! ```toml
//! seeds = ["127.0.0.1:7102", "127.0.0.1:7103"]
//! leave_on_shutdown = true
//! shutdown_timeout = "30s"
//! ```
//!
//! The cluster secret (`--cluster-secret-file`, or the `COTERIE_CLUSTER_SECRET` environment
//! variable) must be the same on every member: members send it with their Raft messages and
//! refuse Raft messages without it. Without one, anyone who reaches a member's port can send
//! it Raft messages: run that way only on a trusted network.

use std::collections::BTreeMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use serde::Deserialize;

/// Arguments of `coterie serve`.
#[derive(Debug, Default, Args)]
pub(crate) struct ServeArgs {
    /// A TOML file with any of the settings below; flags override it.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// This member's id (a positive integer, unique in the cluster).
    #[arg(long)]
    pub(crate) id: Option<u64>,
    /// The address to listen on for clients and members (default: this member's address in --members).
    #[arg(long, value_name = "HOST:PORT")]
    pub(crate) listen: Option<SocketAddr>,
    /// Every member as ID=HOST:PORT, this one included, comma-separated or repeated.
    #[arg(long, value_name = "ID=HOST:PORT", value_delimiter = ',')]
    pub(crate) members: Vec<String>,
    /// Keep the Raft logs and snapshots here (default: in memory, lost on exit).
    #[arg(long, value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// How many members take part in CP groups (default: all of them).
    #[arg(long, value_name = "N")]
    pub(crate) cp_member_count: Option<usize>,
    /// A file holding the cluster secret (16+ printable ASCII characters, the same on every
    /// member): Raft messages between members carry it, and messages without it are refused.
    #[arg(long, value_name = "FILE")]
    pub(crate) cluster_secret_file: Option<PathBuf>,
    /// The cluster secret itself (prefer the file: the environment can leak into logs).
    #[arg(long = "cluster-secret", env = "COTERIE_CLUSTER_SECRET", hide_env_values = true, value_name = "SECRET")]
    pub(crate) cluster_secret: Option<String>,
    /// Join a running cluster through the members at HOST:PORT (seeds: comma-separated or
    /// repeated; any running member will do, the first that answers is used) instead of
    /// forming one (no --members then; give --listen, and --advertise if others reach this
    /// member at another address). Returns to serving once this member votes in every CP
    /// group.
    #[arg(long, value_name = "HOST:PORT", value_delimiter = ',', conflicts_with = "members")]
    pub(crate) join: Vec<String>,
    /// The HOST:PORT the other members and clients reach this member at (default: --listen).
    #[arg(long, value_name = "HOST:PORT")]
    pub(crate) advertise: Option<String>,
    /// Join as a plain member (with --join, restarts included): listed in the member table,
    /// hosting no CP replica; CP calls to it are answered with a CP member's address.
    #[arg(long, requires = "join")]
    pub(crate) plain: bool,
    /// Run gossip membership (SWIM) on this UDP address: the live view of which members
    /// are up, joining or leaving; the member table is still committed by the metadata group.
    #[arg(long, value_name = "IP:PORT")]
    pub(crate) gossip: Option<SocketAddr>,
    /// The IP:PORT the other members reach the gossip socket at (default: --gossip).
    #[arg(long, value_name = "IP:PORT", requires = "gossip")]
    pub(crate) gossip_advertise: Option<SocketAddr>,
    /// Other members' HOST:PORT, comma-separated or repeated (any reachable one is enough;
    /// this member's own is skipped): gossip runs on this member's listen port (UDP) and
    /// gossips with theirs, and without --members or --join this member joins through them.
    /// With --gossip: the other members' gossip IP:PORTs instead (the older spelling).
    #[arg(long, value_name = "HOST:PORT", value_delimiter = ',')]
    pub(crate) seeds: Vec<String>,
    /// On SIGTERM or Ctrl-C, leave the cluster before stopping: hand this member's sharded
    /// partitions to the others and leave every CP group (`admin remove-member` of itself),
    /// within --shutdown-timeout. Its id is then never used again: start it again with a
    /// new id (and an empty data directory) to come back.
    #[arg(long)]
    pub(crate) leave_on_shutdown: bool,
    /// How long --leave-on-shutdown may take before the member stops anyway (`30s`, `2m`).
    #[arg(long, value_name = "DURATION", value_parser = coterie_bench::duration::parse_duration)]
    pub(crate) shutdown_timeout: Option<Duration>,
    /// The S3 gateway (`--s3`, `--s3-access-key`, `--s3-secret-key[-file]`).
    #[command(flatten)]
    pub(crate) s3: crate::serve_s3::S3Args,
    /// How much the member logs to stderr: leader changes, members joining, leaving and
    /// going down, refused and failed calls, storage errors. RUST_LOG, when set, overrides it.
    #[arg(long, value_enum, value_name = "LEVEL", default_value_t = crate::logging::LogLevel::Info)]
    pub(crate) log_level: crate::logging::LogLevel,
}

/// The settings a config file may hold.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServeFile {
    id: Option<u64>,
    listen: Option<SocketAddr>,
    #[serde(default)]
    members: Vec<String>,
    data_dir: Option<PathBuf>,
    cp_member_count: Option<usize>,
    cluster_secret_file: Option<PathBuf>,
    join: Option<String>,
    advertise: Option<String>,
    gossip: Option<SocketAddr>,
    gossip_advertise: Option<SocketAddr>,
    #[serde(default)]
    seeds: Vec<String>,
    leave_on_shutdown: Option<bool>,
    shutdown_timeout: Option<String>,
}

/// A checked serve configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ServeConfig {
    /// This member's id.
    pub(crate) id: u64,
    /// Where it listens.
    pub(crate) listen: SocketAddr,
    /// Every member's address by id.
    pub(crate) members: BTreeMap<u64, String>,
    /// Where it keeps its data; `None`: in memory.
    pub(crate) data_dir: Option<PathBuf>,
    /// The cluster secret, if one was given (read from its file already).
    pub(crate) cluster_secret: Option<String>,
    /// The members to join a running cluster through (empty: not joining).
    pub(crate) join: Vec<String>,
    /// Join as a plain member.
    pub(crate) plain: bool,
    /// Gossip membership, if it runs.
    pub(crate) gossip: Option<GossipSettings>,
    /// Leave the cluster (hand partitions over, leave the CP groups) on SIGTERM or Ctrl-C.
    pub(crate) leave_on_shutdown: bool,
    /// How long leaving on shutdown may take.
    pub(crate) shutdown_timeout: Duration,
}

/// How long `--leave-on-shutdown` may take by default.
pub(crate) const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// Where gossip membership runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GossipSettings {
    /// The UDP address to bind.
    pub(crate) bind: SocketAddr,
    /// The address the others reach it at, if not `bind`.
    pub(crate) advertise: Option<SocketAddr>,
    /// The other members' gossip addresses.
    pub(crate) seeds: Vec<SocketAddr>,
}

/// Why the serve settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    /// The config file cannot be read or parsed.
    #[error("cannot use the config file {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A setting is missing or wrong.
    #[error("{0}")]
    Invalid(String),
}

fn invalid(message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid(message.into())
}

/// Parses `ID=HOST:PORT` entries into a member map.
pub(crate) fn parse_members(entries: &[String]) -> Result<BTreeMap<u64, String>, ConfigError> {
    let mut members = BTreeMap::new();
    for entry in entries.iter().map(|entry| entry.trim()).filter(|entry| !entry.is_empty()) {
        let Some((id, address)) = entry.split_once('=') else {
            return Err(invalid(format!("member {entry:?} is not ID=HOST:PORT (for example 1=127.0.0.1:7101)")));
        };
        let id: u64 = id
            .trim()
            .parse()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| invalid(format!("member {entry:?}: the id must be a positive integer")))?;
        let address = address.trim();
        let port_ok =
            address.rsplit_once(':').is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !port_ok {
            return Err(invalid(format!("member {entry:?}: the address must be HOST:PORT")));
        }
        if members.insert(id, address.to_owned()).is_some() {
            return Err(invalid(format!("member id {id} is listed twice")));
        }
    }
    Ok(members)
}

impl ServeFile {
    /// Parses a config file's text.
    pub(crate) fn parse(text: &str) -> Result<ServeFile, String> {
        toml::from_str(text).map_err(|err| err.to_string())
    }
}

impl ServeArgs {
    /// Reads the config file, if any, and merges the flags over it.
    pub(crate) fn resolve(&self) -> Result<ServeConfig, ConfigError> {
        let file = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|err| ConfigError::File { path: path.clone(), reason: err.to_string() })?;
                ServeFile::parse(&text).map_err(|reason| ConfigError::File { path: path.clone(), reason })?
            }
            None => ServeFile::default(),
        };
        self.merge(file)
    }

    /// Merges the flags over `file` and checks the result.
    pub(crate) fn merge(&self, file: ServeFile) -> Result<ServeConfig, ConfigError> {
        let id = self.id.or(file.id).ok_or_else(|| invalid("--id is required (this member's id, e.g. --id 1)"))?;
        if id == 0 {
            return Err(invalid("--id must be a positive integer (member ids start at 1)"));
        }
        let cluster_secret = self.cluster_secret(&file)?;
        let gossip = GossipFlags::from_flags(self, &file)?;
        let (leave_on_shutdown, shutdown_timeout) = self.shutdown(&file)?;
        let mut join: Option<Vec<String>> = if self.join.is_empty() {
            file.join.as_deref().map(|seeds| seeds.split(',').map(|seed| seed.trim().to_owned()).collect())
        } else {
            Some(self.join.clone())
        };
        let members_given = !self.members.is_empty() || !file.members.is_empty();
        // Seeds alone (no --members, no --join, no --gossip): join through them.
        if join.is_none() && !members_given && gossip.bind.is_none() && !gossip.seeds.is_empty() {
            join = Some(gossip.seeds.clone());
        }
        let config = match join {
            Some(join) => self.merge_join(id, join, file, cluster_secret)?,
            None => self.merge_static(id, file, cluster_secret)?,
        };
        let gossip = gossip.settings(&config)?;
        Ok(ServeConfig { gossip, leave_on_shutdown, shutdown_timeout, ..config })
    }

    /// The settings of a member started with the whole member list (`members`).
    fn merge_static(
        &self,
        id: u64,
        file: ServeFile,
        cluster_secret: Option<String>,
    ) -> Result<ServeConfig, ConfigError> {
        let entries = if self.members.is_empty() { &file.members } else { &self.members };
        let members = parse_members(entries)?;
        if members.is_empty() {
            return Err(invalid(
                "--members is required: every member as ID=HOST:PORT, this one included \
                 (e.g. --members 1=127.0.0.1:7101,2=127.0.0.1:7102,3=127.0.0.1:7103); or give --seeds \
                 HOST:PORT,... (running members) and --listen to join a running cluster",
            ));
        }
        let Some(own) = members.get(&id) else {
            return Err(invalid(format!(
                "member id {id} is not in --members ({}); list every member, this one included",
                members.keys().map(u64::to_string).collect::<Vec<_>>().join(", ")
            )));
        };
        let listen = match self.listen.or(file.listen) {
            Some(listen) => listen,
            None => own.parse().map_err(|_| {
                invalid(format!("cannot listen on {own:?} (member {id}'s address): give --listen IP:PORT"))
            })?,
        };
        if let Some(count) = self.cp_member_count.or(file.cp_member_count)
            && count != members.len()
        {
            return Err(invalid(format!(
                "--cp-member-count {count} differs from the {} members listed: every member takes part in CP \
                 groups in this version, so list only the CP members (plain members arrive with the sharded \
                 structures)",
                members.len()
            )));
        }
        Ok(ServeConfig {
            id,
            listen,
            members,
            data_dir: self.data_dir.clone().or(file.data_dir),
            cluster_secret,
            join: Vec::new(),
            plain: false,
            gossip: None,
            leave_on_shutdown: false,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
        })
    }

    /// The settings of a member joining a running cluster through `join`: it is
    /// configured with only itself, at its advertised address.
    fn merge_join(
        &self,
        id: u64,
        join: Vec<String>,
        file: ServeFile,
        cluster_secret: Option<String>,
    ) -> Result<ServeConfig, ConfigError> {
        if !file.members.is_empty() {
            return Err(invalid("give either join or members, not both: a joining member learns the members"));
        }
        if let Some(bad) = join.iter().find(|seed| !valid_address(seed)) {
            return Err(invalid(format!("--join {bad:?} is not HOST:PORT (a running member's address)")));
        }
        let listen = self.listen.or(file.listen).ok_or_else(|| {
            invalid(
                "--listen IP:PORT is required with --join or --seeds alone (this member's address; there is no \
                 --members to take it from)",
            )
        })?;
        let advertise = self.advertise.clone().or(file.advertise).unwrap_or_else(|| listen.to_string());
        if !valid_address(&advertise) || listen.ip().is_unspecified() && self.advertise.is_none() {
            return Err(invalid(format!(
                "cannot advertise {advertise:?} to the other members: give --advertise HOST:PORT that they can reach"
            )));
        }
        // A seed list may name this member too (the same list on every member).
        let own = [advertise.clone(), listen.to_string()];
        let join: Vec<String> = join.into_iter().filter(|seed| !own.contains(seed)).collect();
        if join.is_empty() {
            return Err(invalid(format!(
                "the seeds name only this member ({advertise}): a member without --members joins a running cluster \
                 through another member's HOST:PORT; the cluster's first members are started with --members"
            )));
        }
        let members = [(id, advertise)].into_iter().collect();
        Ok(ServeConfig {
            id,
            listen,
            members,
            data_dir: self.data_dir.clone().or(file.data_dir),
            cluster_secret,
            join,
            plain: self.plain,
            gossip: None,
            leave_on_shutdown: false,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
        })
    }

    /// Whether to leave the cluster on shutdown, and within how long.
    fn shutdown(&self, file: &ServeFile) -> Result<(bool, Duration), ConfigError> {
        let leave = self.leave_on_shutdown || file.leave_on_shutdown.unwrap_or(false);
        let timeout = match (self.shutdown_timeout, &file.shutdown_timeout) {
            (Some(timeout), _) => timeout,
            (None, Some(text)) => coterie_bench::duration::parse_duration(text)
                .map_err(|err| invalid(format!("shutdown_timeout {text:?}: {err}")))?,
            (None, None) => DEFAULT_SHUTDOWN_TIMEOUT,
        };
        if timeout.is_zero() {
            return Err(invalid("--shutdown-timeout must be more than zero (how long leaving may take, e.g. 30s)"));
        }
        Ok((leave, timeout))
    }

    /// The cluster secret from the flags or the file, checked.
    fn cluster_secret(&self, file: &ServeFile) -> Result<Option<String>, ConfigError> {
        let cluster_secret =
            match (&self.cluster_secret, self.cluster_secret_file.as_ref().or(file.cluster_secret_file.as_ref())) {
                (Some(secret), _) => Some(secret.trim().to_owned()),
                (None, Some(path)) => Some(
                    std::fs::read_to_string(path)
                        .map_err(|err| ConfigError::File { path: path.clone(), reason: err.to_string() })?
                        .trim()
                        .to_owned(),
                ),
                (None, None) => None,
            };
        if let Some(secret) = &cluster_secret
            && (secret.len() < 16 || !secret.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(invalid(format!(
                "the cluster secret must be at least 16 printable ASCII characters without spaces, and the same on \
                 every member (it has {} bytes)",
                secret.len()
            )));
        }
        Ok(cluster_secret)
    }
}

/// The gossip flags as given, before the member's own address is known.
struct GossipFlags {
    /// `--gossip`: the explicit UDP socket (the older spelling).
    bind: Option<SocketAddr>,
    /// `--gossip-advertise`.
    advertise: Option<SocketAddr>,
    /// `--seeds`, trimmed and checked to be HOST:PORT.
    seeds: Vec<String>,
}

impl GossipFlags {
    fn from_flags(args: &ServeArgs, file: &ServeFile) -> Result<GossipFlags, ConfigError> {
        let seeds = if args.seeds.is_empty() { &file.seeds } else { &args.seeds };
        let seeds: Vec<String> =
            seeds.iter().map(|seed| seed.trim().to_owned()).filter(|seed| !seed.is_empty()).collect();
        if let Some(bad) = seeds.iter().find(|seed| !valid_address(seed)) {
            return Err(invalid(format!("--seeds {bad:?} is not HOST:PORT (another member's address)")));
        }
        let (bind, advertise) = (args.gossip.or(file.gossip), args.gossip_advertise.or(file.gossip_advertise));
        if bind.is_none() && advertise.is_some() {
            return Err(invalid("gossip_advertise needs gossip (the UDP address to gossip on)"));
        }
        Ok(GossipFlags { bind, advertise, seeds })
    }

    /// Where gossip runs for the member `config` describes, if it does: on `--gossip` with
    /// the seeds as gossip addresses, or, with seeds alone, on the member's own listen port.
    fn settings(self, config: &ServeConfig) -> Result<Option<GossipSettings>, ConfigError> {
        if let Some(bind) = self.bind {
            let advertised = self.advertise.unwrap_or(bind);
            if advertised.ip().is_unspecified() || advertised.port() == 0 {
                return Err(invalid(format!(
                    "cannot gossip at {advertised} (the others could not reach it): give --gossip IP:PORT with a \
                     fixed port, and --gossip-advertise IP:PORT when binding 0.0.0.0"
                )));
            }
            let seeds = self.seeds.iter().map(|seed| resolve(seed, "--seeds (with --gossip: gossip addresses)"));
            let seeds = seeds.collect::<Result<Vec<_>, _>>()?;
            return Ok(Some(GossipSettings { bind, advertise: self.advertise, seeds }));
        }
        if self.seeds.is_empty() {
            return Ok(None);
        }
        if config.listen.port() == 0 {
            return Err(invalid(
                "with --seeds, gossip runs on the listen port (UDP): give --listen IP:PORT with a fixed port",
            ));
        }
        let own = config.members.get(&config.id).cloned().unwrap_or_else(|| config.listen.to_string());
        let advertised = resolve(&own, "this member's address (--advertise, or its entry in --members)")?;
        let bind = config.listen;
        let seeds = self.seeds.iter().map(|seed| resolve(seed, "--seeds")).collect::<Result<Vec<_>, _>>()?;
        Ok(Some(GossipSettings { bind, advertise: (advertised != bind).then_some(advertised), seeds }))
    }
}

/// `address` (HOST:PORT) as a socket address: an IP address as it is, a name resolved
/// (the first address it resolves to).
fn resolve(address: &str, what: &str) -> Result<SocketAddr, ConfigError> {
    if let Ok(address) = address.parse() {
        return Ok(address);
    }
    match address.to_socket_addrs().map(|mut addresses| addresses.next()) {
        Ok(Some(resolved)) if !resolved.ip().is_unspecified() => Ok(resolved),
        Ok(_) => Err(invalid(format!("{what}: {address:?} resolves to no address the others can reach"))),
        Err(err) => {
            Err(invalid(format!("{what}: cannot resolve {address:?} ({err}); give IP:PORT or a name that resolves")))
        }
    }
}

/// Whether `address` is HOST:PORT.
fn valid_address(address: &str) -> bool {
    address.rsplit_once(':').is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0))
}

#[cfg(test)]
#[path = "serve_config_tests.rs"]
mod tests;
