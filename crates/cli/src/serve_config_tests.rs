use std::path::PathBuf;

use super::{ServeArgs, ServeFile, parse_members};

fn members(list: &str) -> Vec<String> {
    list.split(',').map(str::to_owned).collect()
}

fn args(id: u64, list: &str) -> ServeArgs {
    ServeArgs { id: Some(id), members: members(list), ..ServeArgs::default() }
}

const THREE: &str = "1=127.0.0.1:7101,2=127.0.0.1:7102,3=127.0.0.1:7103";

#[test]
fn flags_alone_are_enough_and_listen_defaults_to_the_own_address() {
    let config = args(2, THREE).merge(ServeFile::default()).unwrap();
    assert_eq!(config.id, 2);
    assert_eq!(config.listen.to_string(), "127.0.0.1:7102");
    assert_eq!(config.members.len(), 3);
    assert_eq!(config.members[&3], "127.0.0.1:7103");
    assert_eq!(config.data_dir, None);
}

#[test]
fn the_file_supplies_what_flags_leave_out_and_flags_win() {
    let file = ServeFile::parse(
        "id = 1\nlisten = \"0.0.0.0:7101\"\nmembers = [\"1=127.0.0.1:7101\", \"2=127.0.0.1:7102\", \
         \"3=127.0.0.1:7103\"]\ndata_dir = \"/tmp/c1\"\ncp_member_count = 3\n",
    )
    .unwrap();
    let from_file = ServeArgs::default().merge(file).unwrap();
    assert_eq!((from_file.id, from_file.listen.to_string()), (1, "0.0.0.0:7101".to_owned()));
    assert_eq!(from_file.data_dir, Some(PathBuf::from("/tmp/c1")));

    let file = ServeFile::parse("id = 1\nmembers = [\"1=127.0.0.1:7101\", \"2=127.0.0.1:7102\"]\n").unwrap();
    let overridden =
        ServeArgs { id: Some(2), data_dir: Some("/d".into()), ..ServeArgs::default() }.merge(file).unwrap();
    assert_eq!(overridden.id, 2);
    assert_eq!(overridden.listen.to_string(), "127.0.0.1:7102");
    assert_eq!(overridden.data_dir, Some(PathBuf::from("/d")));
}

#[test]
fn unknown_file_keys_are_refused() {
    let err = ServeFile::parse("id = 1\nlisten_address = \"x\"\n").unwrap_err();
    assert!(err.contains("listen_address"), "{err}");
}

#[test]
fn missing_and_inconsistent_settings_say_what_to_do() {
    let err = ServeArgs { members: members(THREE), ..ServeArgs::default() }.merge(ServeFile::default());
    assert!(err.unwrap_err().to_string().contains("--id is required"));
    let err = ServeArgs { id: Some(1), ..ServeArgs::default() }.merge(ServeFile::default());
    assert!(err.unwrap_err().to_string().contains("--members is required"));
    let err = args(4, THREE).merge(ServeFile::default()).unwrap_err().to_string();
    assert!(err.contains("member id 4 is not in --members (1, 2, 3)"), "{err}");
    let err = ServeArgs { cp_member_count: Some(5), ..args(1, THREE) }.merge(ServeFile::default()).unwrap_err();
    assert!(err.to_string().contains("--cp-member-count 5 differs from the 3 members"), "{err}");
    let err = args(1, "1=localhost:7101").merge(ServeFile::default()).unwrap_err().to_string();
    assert!(err.contains("give --listen IP:PORT"), "{err}");
}

#[test]
fn member_entries_are_checked() {
    for (entry, expected) in [
        ("127.0.0.1:7101", "is not ID=HOST:PORT"),
        ("0=127.0.0.1:7101", "positive integer"),
        ("x=127.0.0.1:7101", "positive integer"),
        ("1=127.0.0.1", "HOST:PORT"),
        ("1=:7101", "HOST:PORT"),
        ("1=h:99999", "HOST:PORT"),
    ] {
        let err = parse_members(&[entry.to_owned()]).unwrap_err().to_string();
        assert!(err.contains(expected), "{entry}: {err}");
    }
    let err = parse_members(&members("1=a:1,1=b:2")).unwrap_err().to_string();
    assert!(err.contains("listed twice"), "{err}");
    assert_eq!(parse_members(&members(" 1=a:1 , ,2=b:2")).unwrap().len(), 2);
}

#[test]
fn the_cluster_secret_comes_from_the_flag_or_its_file_and_is_checked() {
    let config = args(1, THREE).merge(ServeFile::default()).unwrap();
    assert_eq!(config.cluster_secret, None);
    let given = ServeArgs { cluster_secret: Some(" 0123456789abcdef\n".into()), ..args(1, THREE) };
    assert_eq!(given.merge(ServeFile::default()).unwrap().cluster_secret.as_deref(), Some("0123456789abcdef"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret");
    std::fs::write(&path, "from-a-file-0123456789\n").unwrap();
    let from_file = ServeArgs { cluster_secret_file: Some(path), ..args(1, THREE) };
    assert_eq!(
        from_file.merge(ServeFile::default()).unwrap().cluster_secret.as_deref(),
        Some("from-a-file-0123456789")
    );
    let short = ServeArgs { cluster_secret: Some("short".into()), ..args(1, THREE) };
    let err = short.merge(ServeFile::default()).unwrap_err().to_string();
    assert!(err.contains("at least 16 printable ASCII characters"), "{err}");
    let missing = ServeArgs { cluster_secret_file: Some(dir.path().join("nope")), ..args(1, THREE) };
    assert!(missing.merge(ServeFile::default()).is_err());
}

#[test]
fn a_joining_member_is_configured_with_only_itself_at_its_advertised_address() {
    let join = |listen: &str, advertise: Option<&str>| ServeArgs {
        id: Some(4),
        listen: Some(listen.parse().unwrap()),
        join: vec!["127.0.0.1:7101".to_owned()],
        advertise: advertise.map(str::to_owned),
        ..ServeArgs::default()
    };
    let config = join("127.0.0.1:7104", None).merge(ServeFile::default()).unwrap();
    assert_eq!(config.join, ["127.0.0.1:7101"]);
    assert_eq!(config.members.into_iter().collect::<Vec<_>>(), vec![(4, "127.0.0.1:7104".to_owned())]);
    let config = join("0.0.0.0:7104", Some("10.0.0.4:7104")).merge(ServeFile::default()).unwrap();
    assert_eq!(config.members[&4], "10.0.0.4:7104");
    // A wildcard listen address cannot be advertised; a join without --listen has no address.
    let err = join("0.0.0.0:7104", None).merge(ServeFile::default()).unwrap_err().to_string();
    assert!(err.contains("--advertise"), "{err}");
    let no_listen = ServeArgs { listen: None, ..join("127.0.0.1:7104", None) };
    assert!(no_listen.merge(ServeFile::default()).unwrap_err().to_string().contains("--listen"));
    let bad =
        ServeArgs { join: vec!["127.0.0.1:7101".to_owned(), "nowhere".to_owned()], ..join("127.0.0.1:7104", None) };
    let err = bad.merge(ServeFile::default()).unwrap_err().to_string();
    assert!(err.contains("\"nowhere\" is not HOST:PORT"), "{err}");
    // Several seeds, from the flags or the file (comma-separated there).
    let seeds = ServeArgs {
        join: vec!["127.0.0.1:7101".to_owned(), "127.0.0.1:7102".to_owned()],
        ..join("127.0.0.1:7104", None)
    };
    assert_eq!(seeds.merge(ServeFile::default()).unwrap().join, ["127.0.0.1:7101", "127.0.0.1:7102"]);
    let file: ServeFile = toml::from_str("join = \"127.0.0.1:7101, 127.0.0.1:7103\"").unwrap();
    let from_file = ServeArgs { join: Vec::new(), ..join("127.0.0.1:7104", None) }.merge(file).unwrap();
    assert_eq!(from_file.join, ["127.0.0.1:7101", "127.0.0.1:7103"]);
}

#[test]
fn gossip_on_an_explicit_address_takes_the_seeds_as_gossip_addresses() {
    let with = |gossip: &str, advertise: Option<&str>, seeds: &[&str]| ServeArgs {
        gossip: Some(gossip.parse().unwrap()),
        gossip_advertise: advertise.map(|a| a.parse().unwrap()),
        seeds: seeds.iter().map(|s| (*s).to_owned()).collect(),
        ..args(1, THREE)
    };
    let config = with("127.0.0.1:7201", None, &["127.0.0.1:7202", "127.0.0.1:7203"]).merge(ServeFile::default());
    let gossip = config.unwrap().gossip.unwrap();
    assert_eq!(gossip.bind, "127.0.0.1:7201".parse().unwrap());
    assert_eq!(gossip.seeds.len(), 2);
    // Without gossip or seeds, none runs; an advertised gossip address needs gossip.
    assert_eq!(args(1, THREE).merge(ServeFile::default()).unwrap().gossip, None);
    let advertise_only = ServeArgs { gossip_advertise: Some("10.0.0.1:7201".parse().unwrap()), ..args(1, THREE) };
    assert!(advertise_only.merge(ServeFile::default()).unwrap_err().to_string().contains("needs gossip"));
    // A wildcard or port 0 cannot be reached; advertising fixes the wildcard.
    let err = with("0.0.0.0:7201", None, &[]).merge(ServeFile::default()).unwrap_err().to_string();
    assert!(err.contains("--gossip-advertise"), "{err}");
    assert!(with("127.0.0.1:0", None, &[]).merge(ServeFile::default()).is_err());
    let advertised = with("0.0.0.0:7201", Some("10.0.0.1:7201"), &[]).merge(ServeFile::default()).unwrap();
    assert_eq!(advertised.gossip.unwrap().advertise, Some("10.0.0.1:7201".parse().unwrap()));
    // The file's keys.
    let file = ServeFile::parse("gossip = \"127.0.0.1:7201\"\nseeds = [\"127.0.0.1:7202\"]").unwrap();
    let config = args(1, THREE).merge(file).unwrap();
    assert_eq!(config.gossip.unwrap().seeds, vec!["127.0.0.1:7202".parse().unwrap()]);
}

#[test]
fn seeds_alone_gossip_on_the_listen_port_and_join_through_the_seeds() {
    let seeds = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    // A CP member started with --members and --seeds: gossip on its own address, no join.
    let cp = ServeArgs { seeds: seeds(&["127.0.0.1:7102", "127.0.0.1:7103"]), ..args(1, THREE) };
    let config = cp.merge(ServeFile::default()).unwrap();
    let gossip = config.gossip.clone().unwrap();
    assert_eq!((gossip.bind, gossip.advertise), ("127.0.0.1:7101".parse().unwrap(), None));
    assert_eq!(gossip.seeds, vec!["127.0.0.1:7102".parse().unwrap(), "127.0.0.1:7103".parse().unwrap()]);
    assert!(config.join.is_empty());
    // Seeds alone: join through them (this member's own address skipped), gossip with them.
    let joiner = ServeArgs {
        id: Some(4),
        listen: Some("127.0.0.1:7104".parse().unwrap()),
        seeds: seeds(&["127.0.0.1:7101", "127.0.0.1:7104", "localhost:7102"]),
        ..ServeArgs::default()
    };
    let config = joiner.merge(ServeFile::default()).unwrap();
    assert_eq!(config.join, ["127.0.0.1:7101", "localhost:7102"]);
    assert_eq!(config.members[&4], "127.0.0.1:7104");
    let gossip = config.gossip.unwrap();
    assert_eq!(gossip.bind, "127.0.0.1:7104".parse().unwrap());
    assert_eq!(gossip.seeds.len(), 3, "a name is resolved: {:?}", gossip.seeds);
    // Listening on 0.0.0.0: gossip binds it and advertises the advertised address.
    let wildcard = ServeArgs {
        listen: Some("0.0.0.0:7104".parse().unwrap()),
        advertise: Some("10.0.0.4:7104".to_owned()),
        ..ServeArgs { seeds: seeds(&["10.0.0.1:7101"]), id: Some(4), ..ServeArgs::default() }
    };
    let gossip = wildcard.merge(ServeFile::default()).unwrap().gossip.unwrap();
    assert_eq!(
        (gossip.bind, gossip.advertise),
        ("0.0.0.0:7104".parse().unwrap(), Some("10.0.0.4:7104".parse().unwrap()))
    );
    // Seeds naming only this member, or not HOST:PORT, are refused with what to do.
    let alone = ServeArgs {
        id: Some(4),
        listen: Some("127.0.0.1:7104".parse().unwrap()),
        seeds: seeds(&["127.0.0.1:7104"]),
        ..ServeArgs::default()
    };
    let err = alone.merge(ServeFile::default()).unwrap_err().to_string();
    assert!(err.contains("name only this member") && err.contains("--members"), "{err}");
    let bad = ServeArgs { seeds: seeds(&["nowhere"]), ..args(1, THREE) };
    assert!(bad.merge(ServeFile::default()).unwrap_err().to_string().contains("\"nowhere\" is not HOST:PORT"));
    // The file's keys, and leaving on shutdown.
    let file = ServeFile::parse(
        "id = 4\nlisten = \"127.0.0.1:7104\"\nseeds = [\"127.0.0.1:7101\"]\nleave_on_shutdown = true\n\
         shutdown_timeout = \"5s\"\n",
    )
    .unwrap();
    let config = ServeArgs::default().merge(file).unwrap();
    assert_eq!(config.join, ["127.0.0.1:7101"]);
    assert!(config.leave_on_shutdown);
    assert_eq!(config.shutdown_timeout, std::time::Duration::from_secs(5));
    let default = args(1, THREE).merge(ServeFile::default()).unwrap();
    assert!(!default.leave_on_shutdown);
    assert_eq!(default.shutdown_timeout, super::DEFAULT_SHUTDOWN_TIMEOUT);
}
