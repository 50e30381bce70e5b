//! Real `coterie serve` processes for the binary's end-to-end tests: started on loopback
//! ports with their own data directories, stopped (SIGKILL) when dropped even if the test
//! fails, and paused or resumed (SIGSTOP / SIGCONT) by PID for fault tests.

#![allow(dead_code, reason = "each test file uses a different part of the harness")]

pub mod seeded;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The secret the test members share.
pub const CLUSTER_SECRET: &str = "cli-test-cluster-secret-42";

/// `serve` processes, stopped (SIGKILL, after SIGCONT) when dropped even if the test fails.
pub struct Members {
    /// The children, member `i + 1` at index `i`.
    pub children: Vec<Child>,
    /// `host:port` of each member, in the same order.
    pub endpoints: Vec<String>,
    /// The data directories' parent.
    _dir: tempfile::TempDir,
}

impl Members {
    /// Starts members `1..=n` of one cluster, in reverse id order (formation must not
    /// depend on it), on fresh data directories.
    pub fn start(n: u64) -> Members {
        let ports = free_ports(n as usize);
        let list: Vec<String> = ports.iter().zip(1..).map(|(port, id)| format!("{id}=127.0.0.1:{port}")).collect();
        let list = list.join(",");
        let endpoints = ports.iter().map(|port| format!("127.0.0.1:{port}")).collect();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut children: Vec<(u64, Child)> = Vec::new();
        for id in (1..=n).rev() {
            let data = dir.path().join(format!("m{id}"));
            let child = Command::new(env!("CARGO_BIN_EXE_coterie"))
                .args(["serve", "--id", &id.to_string(), "--members", &list])
                .args(["--cluster-secret", CLUSTER_SECRET])
                .args(["--data-dir", data.to_str().expect("a UTF-8 temporary path")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("the coterie binary starts");
            children.push((id, child));
        }
        children.sort_by_key(|(id, _)| *id);
        Members { children: children.into_iter().map(|(_, child)| child).collect(), endpoints, _dir: dir }
    }

    /// Starts member `id` (the next id) on a free port with its own data directory,
    /// joining the cluster through member `seed` (`coterie serve --join`).
    pub fn join(&mut self, id: u64, seed: u64) {
        assert_eq!(self.children.len() as u64 + 1, id, "a joining member takes the next id");
        let port = free_ports(1)[0];
        let address = format!("127.0.0.1:{port}");
        let data = self._dir.path().join(format!("m{id}"));
        let child = Command::new(env!("CARGO_BIN_EXE_coterie"))
            .args(["serve", "--id", &id.to_string(), "--listen", &address])
            .args(["--join", &self.endpoints[(seed - 1) as usize]])
            .args(["--cluster-secret", CLUSTER_SECRET])
            .args(["--data-dir", data.to_str().expect("a UTF-8 temporary path")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the coterie binary starts");
        self.children.push(child);
        self.endpoints.push(address);
    }

    /// The PID of member `id`.
    pub fn pid(&self, id: u64) -> u32 {
        self.children[(id - 1) as usize].id()
    }

    /// Waits up to `bound` for member `id`'s process to exit by itself; its exit status.
    pub fn wait_for_exit(&mut self, id: u64, bound: Duration) -> Option<std::process::ExitStatus> {
        let started = std::time::Instant::now();
        let child = &mut self.children[(id - 1) as usize];
        while started.elapsed() < bound {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// The endpoints joined by commas, as `--endpoints` takes them.
    pub fn endpoint_list(&self) -> String {
        self.endpoints.join(",")
    }
}

impl Drop for Members {
    fn drop(&mut self) {
        for child in &mut self.children {
            if matches!(child.try_wait(), Ok(Some(_))) {
                continue;
            }
            signal("CONT", child.id());
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Sends `SIG<name>` to `pid` with the `kill` command; panics if it cannot.
pub fn signal(name: &str, pid: u32) {
    let status = Command::new("kill").args([&format!("-{name}"), &pid.to_string()]).status();
    assert!(status.is_ok_and(|s| s.success()) || name == "CONT", "kill -{name} {pid} failed");
}

/// Ports that were free a moment ago (the OS picks them; they are released for the members
/// to bind).
pub fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..n).map(|_| TcpListener::bind("127.0.0.1:0").expect("a free port")).collect();
    listeners.iter().map(|listener| listener.local_addr().expect("a bound address").port()).collect()
}
