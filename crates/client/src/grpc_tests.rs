#![allow(clippy::unwrap_used, reason = "test code: a failure should panic")]

use super::*;
use crate::members::normalize;
use coterie_core::GroupCommand;

#[test]
fn endpoints_parse_as_host_port_with_an_optional_http_prefix() {
    let address = |given: &str| parse_endpoint(given).map(|(address, _)| address);
    assert_eq!(address("127.0.0.1:7101"), Ok("127.0.0.1:7101".to_owned()));
    assert_eq!(address("http://127.0.0.1:7101"), Ok("127.0.0.1:7101".to_owned()));
    assert_eq!(address(" http://node-1.local:80/ "), Ok("node-1.local:80".to_owned()));
    assert_eq!(address("[::1]:7101"), Ok("[::1]:7101".to_owned()));
    for bad in ["", "   ", "127.0.0.1", "https://a:1", "ftp://a:1", "a:1/path", "a:notaport", ":7101", "a b:1"] {
        match parse_endpoint(bad) {
            Err(ClientError::InvalidEndpoint { endpoint, reason }) => {
                assert_eq!(endpoint, bad);
                assert!(!reason.is_empty());
            }
            other => panic!("{bad:?} gave {other:?}"),
        }
    }
}

#[test]
fn leader_addresses_are_compared_without_the_scheme() {
    assert_eq!(normalize("http://a:1/"), "a:1");
    assert_eq!(normalize("a:1"), "a:1");
}

#[tokio::test]
async fn statuses_sort_into_what_the_retry_loop_needs() {
    let transport = GrpcTransport::connect(&["127.0.0.1:1", "127.0.0.1:2"], Duration::from_millis(10)).await.unwrap();
    let classify = |status: Status| transport.classify(&status, "get", "127.0.0.1:1");
    let not_leader = |address: &str| coterie_api::status::not_leader(Some(2), Some(address.to_owned()));
    assert_eq!(classify(not_leader("127.0.0.1:2")), TransportError::NotLeader { leader: Some(1) });
    assert_eq!(classify(not_leader("http://127.0.0.1:2")), TransportError::NotLeader { leader: Some(1) });
    assert_eq!(classify(coterie_api::status::not_leader(None, None)), TransportError::NotLeader { leader: None });
    // A leader the client was not given is learned, and later hints by its id find it.
    let elsewhere = coterie_api::status::not_leader(Some(3), Some("10.0.0.9:7103".to_owned()));
    assert_eq!(classify(elsewhere), TransportError::NotLeader { leader: Some(2) });
    assert_eq!(classify(coterie_api::status::not_leader(Some(3), None)), TransportError::NotLeader { leader: Some(2) });
    assert_eq!(
        transport.members(),
        vec![
            (None, "127.0.0.1:1".to_owned()),
            (Some(2), "127.0.0.1:2".to_owned()),
            (Some(3), "10.0.0.9:7103".to_owned())
        ]
    );
    assert_eq!(transport.endpoints(), 3);
    let overflow = CoreError::Overflow { operation: Cow::Borrowed("increment_and_get") };
    assert_eq!(classify(coterie_api::status::from_core(&overflow)), TransportError::Refused(overflow));
    for transient in [
        coterie_api::status::unavailable("no quorum", None),
        coterie_api::status::timeout("slow"),
        Status::unavailable("tcp connect error"),
        Status::deadline_exceeded("deadline"),
        Status::unknown("h2 protocol error"),
        Status::cancelled("connection reset"),
    ] {
        assert!(matches!(classify(transient.clone()), TransportError::Unavailable { .. }), "{transient:?}");
    }
    assert!(matches!(
        classify(coterie_api::status::internal("bug")),
        TransportError::Refused(CoreError::Malformed { .. })
    ));
    assert!(matches!(
        classify(Status::unimplemented("no such service")),
        TransportError::Refused(CoreError::InvalidArgument { .. })
    ));
}

#[tokio::test]
async fn a_refused_connection_is_known_not_to_have_delivered_the_call() {
    // Nothing listens on a port just released by the OS.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let transport = GrpcTransport::connect(&[format!("127.0.0.1:{port}")], Duration::from_millis(500)).await.unwrap();
    let command = GroupCommand::Invoke {
        name: "n".into(),
        command: coterie_core::StructureCommand::AtomicLong(coterie_core::kinds::atomic_long::AtomicLongCommand::Get),
    };
    let answer = transport.call(0, Call::group_command("default", command), Some(Duration::from_secs(2))).await;
    assert!(matches!(answer, Err(TransportError::Unreachable { .. })), "{answer:?}");
}
