//! Drivers for the peers Coterie is compared with (feature `peers`): etcd v3, ZooKeeper and
//! Redis, each running the same workloads in the same shape as the Coterie driver — one
//! connection per client, one request in flight. A workload a peer has no natural form of
//! (a semaphore on etcd, ZooKeeper or Redis) is refused up front instead of being faked.
//! The object workloads (`obj-create`, `obj-cas`) are measured against etcd only, as its
//! transactions on `create_revision` and `mod_revision`; ZooKeeper and Redis are not measured
//! for them (refused up front), so that each figure sits beside the one peer issue 13 names.
//! The sharded workloads (`sharded-*`) are measured against Redis only (INCR, SET, GET):
//! etcd and ZooKeeper have no sharded structure to compare with, so they are refused.

use std::sync::Arc;

use crate::driver::Driver;
use crate::error::BenchError;
use crate::probe::PeerFailover;
use crate::workload::{System, Workload};

mod etcd;
mod failover;
mod redis;
mod zookeeper;

/// The driver of `workload` on peer `system` at `endpoints`.
pub fn driver(system: System, workload: Workload, endpoints: Vec<String>) -> Result<Arc<dyn Driver>, BenchError> {
    let object_on_non_etcd = workload.is_object() && system != System::Etcd;
    let sharded_on_non_redis = workload.is_sharded() && system != System::Redis;
    if workload == Workload::CpSemaphore || system == System::Coterie || object_on_non_etcd || sharded_on_non_redis {
        return Err(unsupported(system, workload));
    }
    Ok(match system {
        System::Etcd => Arc::new(etcd::EtcdDriver::new(endpoints, workload)),
        System::Zookeeper => Arc::new(zookeeper::ZkDriver::new(endpoints, workload)),
        System::Redis => Arc::new(redis::RedisDriver::new(endpoints, workload)),
        System::Coterie => return Err(unsupported(system, workload)),
    })
}

/// The writer and leader probe of `coterie bench failover` on peer `system` (etcd only).
pub fn failover(system: System, endpoints: Vec<String>) -> Result<PeerFailover, BenchError> {
    match system {
        System::Etcd => Ok(failover::etcd(endpoints)),
        other => Err(BenchError::Failover(format!("failover is measured on coterie and etcd only, not {other}"))),
    }
}

pub use failover::etcd_leader_position;

fn unsupported(system: System, workload: Workload) -> BenchError {
    BenchError::Unsupported { system: system.to_string(), workload: workload.to_string() }
}

fn connect_error(system: System, endpoints: &[String], reason: impl std::fmt::Display) -> BenchError {
    BenchError::Connect { system: system.to_string(), endpoints: endpoints.join(","), reason: reason.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sharded_workloads_run_beside_redis_only() {
        let endpoints = || vec!["127.0.0.1:1".to_owned()];
        for workload in Workload::ALL.into_iter().filter(|w| w.is_sharded()) {
            assert!(driver(System::Redis, workload, endpoints()).is_ok(), "{workload} on redis");
            for system in [System::Etcd, System::Zookeeper] {
                let refused = driver(system, workload, endpoints()).err();
                assert!(matches!(refused, Some(BenchError::Unsupported { .. })), "{workload} on {system}: {refused:?}");
            }
        }
    }
}
