use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use coterie_core::{ConfigError, GroupConfig};
use coterie_storage::MemoryLog;
use openraft::BasicNode;

use super::{CpConfig, CpNode};
use crate::cp::{CpError, Router, SystemClock, Transport};

const MS: fn(u64) -> Duration = Duration::from_millis;

fn refused(config: CpConfig) -> ConfigError {
    config.validate().unwrap_err()
}

#[test]
fn the_default_cp_config_is_valid() {
    let config = CpConfig::default().validate().unwrap();
    assert_eq!(config.tick_interval, CpConfig::default().tick_interval);
    assert_eq!(config.election_timeout, CpConfig::default().election_timeout);
}

#[test]
fn cp_config_refuses_zero_timings() {
    let cases = [
        (CpConfig { tick_interval: Duration::ZERO, ..CpConfig::default() }, "CpConfig::tick_interval"),
        (CpConfig { propose_timeout: Duration::ZERO, ..CpConfig::default() }, "CpConfig::propose_timeout"),
        (CpConfig { cancel_timeout: Duration::ZERO, ..CpConfig::default() }, "CpConfig::cancel_timeout"),
    ];
    for (config, setting) in cases {
        let err = refused(config);
        assert_eq!(err.setting, setting);
        assert_eq!(err.value, "0ns");
        assert!(
            err.to_string().starts_with(&format!("invalid configuration: {setting} is 0ns; it must be more than zero"))
        );
    }
}

#[test]
fn cp_config_refuses_a_heartbeat_raft_would_count_as_zero() {
    let err = refused(CpConfig { heartbeat_interval: Duration::from_micros(500), ..CpConfig::default() });
    assert_eq!(
        err.to_string(),
        "invalid configuration: CpConfig::heartbeat_interval is 500µs; it must be at least 1ms (Raft counts it \
         in whole milliseconds)"
    );
    assert_eq!(
        refused(CpConfig { heartbeat_interval: Duration::ZERO, ..CpConfig::default() }).setting,
        "CpConfig::heartbeat_interval"
    );
}

#[test]
fn cp_config_refuses_election_timeouts_out_of_order_or_below_the_heartbeat() {
    let reversed = refused(CpConfig { election_timeout: (MS(300), MS(150)), ..CpConfig::default() });
    assert_eq!(
        reversed.to_string(),
        "invalid configuration: CpConfig::election_timeout is (300ms, 150ms); it must be a range (min, max) with \
         min < max in whole milliseconds"
    );
    let empty = refused(CpConfig { election_timeout: (MS(200), MS(200)), ..CpConfig::default() });
    assert_eq!(empty.setting, "CpConfig::election_timeout");
    let zero = refused(CpConfig { election_timeout: (Duration::ZERO, Duration::ZERO), ..CpConfig::default() });
    assert_eq!(zero.setting, "CpConfig::election_timeout");
    let below =
        refused(CpConfig { heartbeat_interval: MS(100), election_timeout: (MS(100), MS(400)), ..CpConfig::default() });
    assert_eq!(below.setting, "CpConfig::election_timeout");
    assert!(below.accepted.contains("more than heartbeat_interval (100ms)"), "{below}");
}

#[test]
fn cp_config_refuses_an_invalid_group_config() {
    let group = GroupConfig { dedup_window: 0, ..GroupConfig::default() };
    assert_eq!(refused(CpConfig { group, ..CpConfig::default() }).setting, "GroupConfig::dedup_window");
}

#[tokio::test]
async fn a_node_with_a_zero_tick_interval_is_refused_at_start_not_panicking_later() {
    let members = BTreeMap::from([(1, BasicNode::new("in-process:1"))]);
    let config = CpConfig { tick_interval: Duration::ZERO, ..CpConfig::default() };
    let transport = Transport::InProcess(Router::new());
    let started = CpNode::start(1, members, MemoryLog::new(), transport, Arc::new(SystemClock), config).await;
    match started {
        Err(err @ CpError::InvalidConfig(_)) => {
            assert!(err.to_string().contains("CpConfig::tick_interval is 0ns"), "{err}");
        }
        Err(other) => panic!("expected InvalidConfig, got {other}"),
        Ok(_) => panic!("a zero tick interval was accepted"),
    }
}
