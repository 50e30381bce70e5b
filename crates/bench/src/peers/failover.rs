//! Failover on a peer: etcd's leader from `etcdctl endpoint status`, writes through the
//! etcd driver's `cp-incr` op (a writer that loses its member moves to the next endpoint).

use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::driver::Driver;
use crate::probe::LeaderProbe;
use crate::workload::Workload;

/// The etcd leader's 1-based position in `endpoints`, asked of `etcdctl`.
pub(super) struct EtcdLeader {
    pub(super) endpoints: Vec<String>,
}

impl LeaderProbe for EtcdLeader {
    fn leader(&self) -> BoxFuture<'_, Result<u64, String>> {
        let endpoints = self.endpoints.clone();
        Box::pin(async move {
            let joined = endpoints.join(",");
            let output = tokio::task::spawn_blocking(move || {
                std::process::Command::new("etcdctl")
                    .env("ETCDCTL_API", "3")
                    .args([&format!("--endpoints={joined}"), "endpoint", "status", "-w", "json"])
                    .output()
            })
            .await
            .map_err(|err| format!("the etcdctl task failed: {err}"))?
            .map_err(|err| format!("cannot run etcdctl (install etcd-client): {err}"))?;
            if !output.status.success() {
                return Err(format!(
                    "`etcdctl endpoint status` failed ({}): {}",
                    output.status,
                    String::from_utf8_lossy(&output.stderr).trim()
                ));
            }
            etcd_leader_position(&String::from_utf8_lossy(&output.stdout), &endpoints)
        })
    }
}

/// The 1-based position in `endpoints` of the member `etcdctl endpoint status -w json`
/// (its output `json`) reports as leader.
pub fn etcd_leader_position(json: &str, endpoints: &[String]) -> Result<u64, String> {
    let statuses: serde_json::Value =
        serde_json::from_str(json).map_err(|err| format!("etcdctl's output is not JSON: {err}"))?;
    let statuses = statuses.as_array().ok_or("etcdctl's output is not a list of endpoint statuses")?;
    for status in statuses {
        let endpoint = status["Endpoint"].as_str().unwrap_or_default();
        let member = status["Status"]["header"]["member_id"].as_u64();
        let leader = status["Status"]["leader"].as_u64();
        if member.is_some() && member == leader {
            let trimmed = endpoint.trim_start_matches("http://");
            let position = endpoints.iter().position(|e| e.trim_start_matches("http://") == trimmed);
            return position
                .map(|at| at as u64 + 1)
                .ok_or_else(|| format!("the leader's endpoint {endpoint} is not in --endpoints"));
        }
    }
    Err("no endpoint reports itself as the leader".to_owned())
}

/// The writer and leader probe of a failover on etcd.
pub(super) fn etcd(endpoints: Vec<String>) -> (Arc<dyn Driver>, Box<dyn LeaderProbe>) {
    let writer = Arc::new(super::etcd::EtcdDriver::new(endpoints.clone(), Workload::CpIncr));
    (writer, Box::new(EtcdLeader { endpoints }))
}
