use std::collections::BTreeMap;
use std::time::Duration;

use super::{HostError, Node, NodeConfig};
use crate::cp::CpConfig;

fn config() -> NodeConfig {
    let listen = "127.0.0.1:0".parse().unwrap();
    NodeConfig::new(1, listen, BTreeMap::from([(1, "127.0.0.1:7101".to_owned())]))
}

#[test]
fn the_default_node_config_is_valid() {
    let validated = config().validate().unwrap();
    assert_eq!(validated.max_groups, config().max_groups);
    assert_eq!(validated.default_call_timeout, config().default_call_timeout);
}

#[test]
fn node_config_refuses_zero_timeouts_and_no_groups() {
    let cases = [
        (
            NodeConfig { default_call_timeout: Duration::ZERO, ..config() },
            "invalid configuration: NodeConfig::default_call_timeout is 0ns; it must be more than zero (how long a \
             call without a deadline may run)",
        ),
        (
            NodeConfig { max_call_timeout: Duration::ZERO, ..config() },
            "invalid configuration: NodeConfig::max_call_timeout is 0ns; it must be more than zero (the longest a \
             call may run, whatever its deadline)",
        ),
        (
            NodeConfig { max_groups: 0, ..config() },
            "invalid configuration: NodeConfig::max_groups is 0; it must be at least 1: the `default` group counts",
        ),
    ];
    for (config, message) in cases {
        assert_eq!(config.validate().unwrap_err().to_string(), message);
    }
}

#[test]
fn node_config_validates_its_cp_config() {
    let cp = CpConfig { tick_interval: Duration::ZERO, ..CpConfig::default() };
    assert_eq!(NodeConfig { cp, ..config() }.validate().unwrap_err().setting, "CpConfig::tick_interval");
}

#[tokio::test]
async fn a_node_with_an_invalid_config_does_not_start() {
    let started = Node::start(NodeConfig { max_call_timeout: Duration::ZERO, ..config() }).await;
    match started {
        Err(err @ HostError::InvalidConfig(_)) => assert!(err.to_string().contains("max_call_timeout"), "{err}"),
        Err(other) => panic!("expected InvalidConfig, got {other}"),
        Ok(_) => panic!("a zero max_call_timeout was accepted"),
    }
}

#[test]
fn a_cluster_secret_must_be_long_printable_ascii_and_is_never_printed() {
    let short = NodeConfig { cluster_secret: Some("short".to_owned()), ..config() }.validate().unwrap_err();
    assert_eq!(short.setting, "NodeConfig::cluster_secret");
    assert!(!short.to_string().contains("short\""), "the secret must not be in the message: {short}");
    let spaced = NodeConfig { cluster_secret: Some("a secret with spaces in".to_owned()), ..config() };
    assert!(spaced.validate().is_err());
    let good = NodeConfig { cluster_secret: Some("0123456789abcdef".to_owned()), ..config() };
    assert!(good.validate().is_ok());
}

#[test]
fn object_parts_must_fit_one_blob_message() {
    use crate::object::ObjectLimits;
    for part_bytes in [0, super::MAX_PART_BYTES + 1] {
        let limits = ObjectLimits { part_bytes, ..ObjectLimits::default() };
        let refused = NodeConfig { object_limits: limits, ..config() }.validate().unwrap_err();
        assert_eq!(refused.setting, "NodeConfig::object_limits.part_bytes", "{refused}");
    }
    let largest = ObjectLimits { part_bytes: super::MAX_PART_BYTES, ..ObjectLimits::default() };
    assert!(NodeConfig { object_limits: largest, ..config() }.validate().is_ok());
}
