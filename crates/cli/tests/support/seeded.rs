//! A cluster of `coterie serve` processes that find each other through `--seeds`: the first
//! `cp` members are the CP members (`--members` and `--seeds`), the others join through the
//! seeds alone; all of them gossip on their own listen port. Started in a random order (from
//! the time, printed, or `COTERIE_TEST_ORDER_SEED`), with logs kept in the temporary
//! directory for a failing test to show, and stopped (SIGKILL) when dropped.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::{CLUSTER_SECRET, free_ports, signal};

/// The processes of one seeded cluster.
pub struct Seeded {
    /// The number of CP members (ids `1..=cp`).
    pub cp: u64,
    /// Every member's port, by id.
    pub ports: BTreeMap<u64, u16>,
    /// The members started with `--leave-on-shutdown`.
    leave: BTreeSet<u64>,
    children: BTreeMap<u64, Child>,
    dir: tempfile::TempDir,
}

/// A small deterministic generator for the start order (xorshift64*).
fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

/// A start order of `1..=n`: shuffled from `COTERIE_TEST_ORDER_SEED` or the time, printed.
pub fn random_order(n: u64) -> Vec<u64> {
    let seed = std::env::var("COTERIE_TEST_ORDER_SEED").ok().and_then(|seed| seed.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
    });
    let mut state = seed | 1;
    let mut order: Vec<u64> = (1..=n).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, (next(&mut state) % (i as u64 + 1)) as usize);
    }
    println!("start order {order:?} (COTERIE_TEST_ORDER_SEED={seed} repeats it)");
    order
}

impl Seeded {
    /// Starts `total` members, the first `cp` of them CP members, in a random order; the
    /// members in `leave` leave the cluster when stopped with SIGTERM.
    pub fn start(cp: u64, total: u64, leave: &[u64]) -> Seeded {
        let mut cluster = Seeded::unstarted(cp, total, leave);
        for id in random_order(total) {
            cluster.spawn(id);
        }
        cluster
    }

    /// The same cluster's addresses and directories, with no member started yet.
    pub fn unstarted(cp: u64, total: u64, leave: &[u64]) -> Seeded {
        let ports = free_ports(total as usize);
        let ports = (1..=total).zip(ports).collect();
        let dir = tempfile::tempdir().expect("a temporary directory");
        Seeded { cp, ports, leave: leave.iter().copied().collect(), children: BTreeMap::new(), dir }
    }

    /// Whether member `id`'s process is still running.
    pub fn running(&mut self, id: u64) -> bool {
        self.children.get_mut(&id).is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }

    /// Member `id`'s `127.0.0.1:PORT`.
    pub fn endpoint(&self, id: u64) -> String {
        format!("127.0.0.1:{}", self.ports[&id])
    }

    /// The endpoints of the members running now, joined by commas.
    pub fn running_endpoints(&self) -> String {
        self.children.keys().map(|id| self.endpoint(*id)).collect::<Vec<_>>().join(",")
    }

    /// The seeds every member is given: the CP members' addresses.
    fn seeds(&self) -> String {
        (1..=self.cp).map(|id| self.endpoint(id)).collect::<Vec<_>>().join(",")
    }

    /// The `coterie serve` arguments of member `id` (the same on every start).
    pub fn args(&self, id: u64) -> Vec<String> {
        let data = self.dir.path().join(format!("m{id}"));
        let mut args: Vec<String> =
            ["serve", "--id", &id.to_string(), "--seeds", &self.seeds()].into_iter().map(str::to_owned).collect();
        if id <= self.cp {
            let members: Vec<String> = (1..=self.cp).map(|m| format!("{m}={}", self.endpoint(m))).collect();
            args.extend(["--members".to_owned(), members.join(",")]);
        } else {
            args.extend(["--listen".to_owned(), self.endpoint(id)]);
        }
        args.extend(["--cluster-secret", CLUSTER_SECRET, "--data-dir"].map(str::to_owned));
        args.push(data.to_str().expect("a UTF-8 temporary path").to_owned());
        if self.leave.contains(&id) {
            args.extend(["--leave-on-shutdown", "--shutdown-timeout", "30s"].map(str::to_owned));
        }
        args
    }

    fn log_file(&self, id: u64) -> File {
        let path = self.dir.path().join(format!("m{id}.log"));
        OpenOptions::new().create(true).append(true).open(path).expect("a log file")
    }

    /// Starts member `id` (again, on its data directory, if it ran before).
    pub fn spawn(&mut self, id: u64) {
        let log = self.log_file(id);
        let child = Command::new(env!("CARGO_BIN_EXE_coterie"))
            .args(self.args(id))
            .stdout(Stdio::from(log.try_clone().expect("a log file handle")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("the coterie binary starts");
        assert!(self.children.insert(id, child).is_none(), "member {id} was already running");
    }

    /// Runs `coterie serve` for member `id` to its end (for a start that must be refused).
    pub fn run_to_end(&self, id: u64) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_coterie")).args(self.args(id)).output().expect("the coterie binary runs")
    }

    /// The PID of member `id`.
    pub fn pid(&self, id: u64) -> u32 {
        self.children[&id].id()
    }

    /// Kills member `id` with SIGKILL and reaps it; answers when the kill was sent.
    pub fn kill9(&mut self, id: u64) -> Instant {
        let mut child = self.children.remove(&id).expect("member is running");
        signal("KILL", child.id());
        let killed = Instant::now();
        let _ = child.wait();
        killed
    }

    /// Sends SIGTERM to member `id` and waits up to `bound` for it to exit; its status.
    pub fn terminate(&mut self, id: u64, bound: Duration) -> Option<ExitStatus> {
        signal("TERM", self.pid(id));
        let started = Instant::now();
        while started.elapsed() < bound {
            let child = self.children.get_mut(&id).expect("member is running");
            if let Ok(Some(status)) = child.try_wait() {
                self.children.remove(&id);
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// What member `id` printed so far (every start of it).
    pub fn log(&self, id: u64) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("m{id}.log"))).unwrap_or_default()
    }

    /// Every member's log, for a failure message.
    pub fn logs(&self) -> String {
        self.ports.keys().map(|id| format!("--- member {id}:\n{}", self.log(*id))).collect()
    }
}

impl Drop for Seeded {
    fn drop(&mut self) {
        for child in self.children.values_mut() {
            if matches!(child.try_wait(), Ok(Some(_))) {
                continue;
            }
            signal("CONT", child.id());
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
