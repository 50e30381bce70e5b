use std::time::Duration;

use coterie_core::{ClientId, Consistency, GroupCommand, GroupOutput, InvocationId, SessionId, Target};

use super::{Caller, ConvertError, FromOutput, IntoCommand, Routed};
use crate::pb;

fn routed(group: &str, command: GroupCommand) -> Result<Routed, ConvertError> {
    Ok(Routed {
        target: Target::cp(group),
        caller: Caller::default(),
        command,
        consistency: Consistency::Default,
        stale_read: false,
        keep_parked: false,
    })
}

fn open(group: &str, ttl_ms: u64, client_id: &[u8], open_seq: u64) -> pb::OpenSessionRequest {
    pb::OpenSessionRequest { group: group.to_owned(), ttl_ms, client_id: client_id.to_vec(), open_seq }
}

#[test]
fn every_request_becomes_its_group_command() {
    assert_eq!(
        open("", 60_000, &[0xab; 16], 3).into_command(),
        routed(
            "default",
            GroupCommand::OpenSession {
                ttl: Duration::from_secs(60),
                client: ClientId::new(u128::from_be_bytes([0xab; 16])).unwrap(),
                seq: 3
            }
        )
    );
    assert_eq!(
        pb::HeartbeatRequest { group: "g".to_owned(), session_id: 4 }.into_command(),
        routed("g", GroupCommand::Heartbeat { session: SessionId(4) })
    );
    assert_eq!(
        pb::CloseSessionRequest { group: String::new(), session_id: 4 }.into_command(),
        routed("default", GroupCommand::CloseSession { session: SessionId(4) })
    );
    assert_eq!(
        pb::CancelRequest { group: String::new(), seq: 8, client_id: ClientId::MIN.to_bytes().to_vec() }.into_command(),
        routed("default", GroupCommand::Cancel { invocation: InvocationId { client: ClientId::MIN, seq: 8 } })
    );
}

#[test]
fn missing_ids_and_bad_groups_are_refused() {
    let invalid = |result: Result<Routed, ConvertError>, op: &str| {
        assert!(matches!(result, Err(ConvertError::InvalidArgument { operation, .. }) if operation == op), "{op}");
    };
    invalid(pb::HeartbeatRequest { group: String::new(), session_id: 0 }.into_command(), "heartbeat");
    invalid(pb::CloseSessionRequest { group: String::new(), session_id: 0 }.into_command(), "close_session");
    invalid(pb::CancelRequest { group: String::new(), seq: 1, client_id: vec![] }.into_command(), "cancel");
    invalid(pb::CancelRequest { group: String::new(), seq: 1, client_id: vec![0; 16] }.into_command(), "cancel");
    invalid(
        pb::CancelRequest { group: String::new(), seq: 0, client_id: ClientId::MIN.to_bytes().to_vec() }.into_command(),
        "cancel",
    );
    // An open needs its client id (16 bytes, not zero) and its open sequence number.
    invalid(open("", 1, &[], 1).into_command(), "open_session");
    invalid(open("", 1, &[0; 16], 1).into_command(), "open_session");
    invalid(open("", 1, &[1; 15], 1).into_command(), "open_session");
    invalid(open("", 1, &[1; 17], 1).into_command(), "open_session");
    invalid(open("", 1, &[1; 16], 0).into_command(), "open_session");
    let bad_group = open("Bad!", 1, &[1; 16], 1).into_command();
    assert!(matches!(bad_group, Err(ConvertError::InvalidName { .. })));
    let metadata = pb::HeartbeatRequest { group: "metadata".to_owned(), session_id: 1 }.into_command();
    assert!(matches!(metadata, Err(ConvertError::InvalidName { .. })));
}

#[test]
fn every_output_becomes_its_response_and_other_shapes_are_refused() {
    assert_eq!(
        pb::OpenSessionResponse::from_output(GroupOutput::Session(SessionId(17))),
        Ok(pb::OpenSessionResponse { session_id: 17 })
    );
    assert_eq!(pb::HeartbeatResponse::from_output(GroupOutput::Unit), Ok(pb::HeartbeatResponse {}));
    assert_eq!(pb::CloseSessionResponse::from_output(GroupOutput::Unit), Ok(pb::CloseSessionResponse {}));
    assert_eq!(pb::CancelResponse::from_output(GroupOutput::Bool(true)), Ok(pb::CancelResponse { cancelled: true }));

    let unexpected = |result: Result<(), ConvertError>| {
        assert!(matches!(result, Err(ConvertError::UnexpectedOutput { .. })), "{result:?}");
    };
    unexpected(pb::OpenSessionResponse::from_output(GroupOutput::Unit).map(drop));
    unexpected(pb::HeartbeatResponse::from_output(GroupOutput::Bool(true)).map(drop));
    unexpected(pb::CloseSessionResponse::from_output(GroupOutput::Session(SessionId(1))).map(drop));
    unexpected(pb::CancelResponse::from_output(GroupOutput::Expired(Vec::new())).map(drop));
}
