//! The `Call` header's engine-neutral fields: the target (a CP group or a sharded
//! structure) and the consistency level, read exactly, refused with a reason when they make
//! no sense, and written back by the client exactly as the server reads them.

use coterie_core::kinds::atomic_long::AtomicLongCommand as Al;
use coterie_core::{Consistency, GroupCommand, StructureCommand, Target};

use super::super::{ConvertError, DEFAULT_SHARDS, IntoCommand, Routed, consistency, to_request};
use crate::pb;
use crate::pb::ConsistencyLevel as L;

fn get(call: pb::Call) -> Result<Routed, ConvertError> {
    pb::AtomicLongGetRequest { call: Some(call) }.into_command()
}

fn named(name: &str) -> pb::Call {
    pb::Call { name: name.to_owned(), ..pb::Call::default() }
}

#[test]
fn a_sharded_target_is_read_with_its_shards_and_the_default_when_unset() {
    let sharded =
        |shards| pb::Call { target: Some(pb::call::Target::Sharded(pb::ShardedTarget { shards })), ..named("hits") };
    let routed = get(sharded(8)).unwrap();
    assert_eq!(routed.target, Target::Sharded { shards: 8 });
    assert_eq!(
        routed.command,
        GroupCommand::Invoke { name: "hits".into(), command: StructureCommand::AtomicLong(Al::Get) }
    );
    assert_eq!(get(sharded(0)).unwrap().target, Target::Sharded { shards: DEFAULT_SHARDS });
    // A group suffix addresses CP groups only; an empty name is no name.
    let suffixed = pb::Call { name: "hits@g".into(), ..sharded(8) };
    assert!(
        matches!(get(suffixed), Err(ConvertError::InvalidName { reason }) if reason.contains("only addresses CP groups"))
    );
    assert!(matches!(get(pb::Call { name: String::new(), ..sharded(8) }), Err(ConvertError::InvalidName { .. })));
}

#[test]
fn a_cp_target_is_the_group_field_or_the_suffix_or_default() {
    assert_eq!(get(named("x")).unwrap().target, Target::cp("default"));
    assert_eq!(get(named("x@g")).unwrap().target, Target::cp("g"));
    let field = pb::Call { target: Some(pb::call::Target::Group("g".into())), ..named("x") };
    assert_eq!(get(field.clone()).unwrap().target, Target::cp("g"));
    let disagreeing = pb::Call { name: "x@h".into(), ..field };
    assert!(matches!(get(disagreeing), Err(ConvertError::InvalidName { .. })));
}

#[test]
fn consistency_levels_are_read_exactly_and_nonsense_is_refused() {
    let cases = [
        (L::Default, 0, Consistency::Default),
        (L::Eventual, 0, Consistency::Eventual),
        (L::Quorum, 0, Consistency::Quorum),
        (L::Strong, 0, Consistency::Strong),
        (L::AtLeast, 2, Consistency::AtLeast(2)),
    ];
    for (level, at_least, expected) in cases {
        let call = pb::Call { consistency: level as i32, at_least, ..named("x") };
        assert_eq!(get(call).unwrap().consistency, expected, "{level:?}");
    }
    let refused = |level: i32, at_least: u32| consistency(level, at_least, "get");
    assert!(
        matches!(refused(L::AtLeast as i32, 0), Err(ConvertError::InvalidArgument { reason, .. }) if reason.contains("1 or more"))
    );
    assert!(
        matches!(refused(L::Quorum as i32, 3), Err(ConvertError::InvalidArgument { reason, .. }) if reason.contains("AT_LEAST only"))
    );
    assert!(matches!(refused(99, 0), Err(ConvertError::InvalidArgument { reason, .. }) if reason.contains("99")));
}

#[test]
fn the_client_writes_every_level_as_the_server_reads_it() {
    let command = GroupCommand::Invoke { name: "x".into(), command: StructureCommand::AtomicLong(Al::Get) };
    for level in [
        Consistency::Default,
        Consistency::Eventual,
        Consistency::Quorum,
        Consistency::Strong,
        Consistency::AtLeast(1),
        Consistency::AtLeast(u32::MAX),
    ] {
        let request = to_request("g", &command, None, None).unwrap().with_consistency(level).unwrap();
        let routed = request.into_command().unwrap();
        assert_eq!((routed.target, routed.consistency), (Target::cp("g"), level));
    }
    // Session rpcs have no header to carry a level.
    let client = coterie_core::ClientId::new(1).unwrap();
    let open = GroupCommand::OpenSession { ttl: std::time::Duration::from_secs(1), client, seq: 1 };
    let session = to_request("g", &open, None, None).unwrap();
    assert!(session.clone().with_consistency(Consistency::Default).is_ok());
    assert!(matches!(session.with_consistency(Consistency::Strong), Err(ConvertError::InvalidArgument { .. })));
}

#[test]
fn a_bucket_name_with_the_servers_uploads_mark_is_refused() {
    let head = |name: &str| {
        super::super::object::head(pb::HeadObjectRequest {
            call: Some(named(name)),
            key: "k".to_owned(),
            ..Default::default()
        })
    };
    assert!(head("photos").is_ok());
    match head("photos#uploads") {
        Err(ConvertError::InvalidName { reason }) => {
            assert!(reason.contains("reserved for the server's multipart-upload"), "{reason}")
        }
        other => panic!("not refused: {other:?}"),
    }
}
