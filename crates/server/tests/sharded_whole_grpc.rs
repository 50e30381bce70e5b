//! A sharded Map's and Set's whole-structure rpcs (Size, Keys, Entries, Members, Clear) on
//! real loopback members: gathered by the member called from every partition holding one
//! of the structure's shards (the others' parts forwarded one hop), paged by a cursor
//! correct across partitions, within the call's deadline. Every wait is bounded.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use crate::support;

use std::collections::{BTreeMap, BTreeSet};

use coterie_api::pb::map_service_client::MapServiceClient;
use coterie_api::pb::set_service_client::SetServiceClient;
use coterie_api::{pb, status};
use coterie_core::placement::{PartitionTable, partition_of_key};
use support::{Cluster, eventually};
use tonic::Code;
use tonic::transport::Channel;

const SHARDS: u32 = 20;

fn call(name: &str, seq: u64) -> Option<pb::Call> {
    Some(pb::Call {
        name: name.to_owned(),
        target: Some(pb::call::Target::Sharded(pb::ShardedTarget { shards: SHARDS })),
        client_id: if seq == 0 { Vec::new() } else { vec![0x5e; 16] },
        seq,
        ..pb::Call::default()
    })
}

fn key(i: usize) -> Vec<u8> {
    format!("user-{i:03}").into_bytes()
}

async fn settled(cluster: &Cluster) -> PartitionTable {
    eventually("every member applies a partition table over the three members", async || {
        cluster.nodes.values().all(|node| node.partition_table().is_some_and(|t| t.up_members() == [1, 2, 3]))
    })
    .await;
    cluster.nodes[&1].partition_table().unwrap()
}

/// The partitions, and their owners, holding `keys` of structure `name`.
fn placement(table: &PartitionTable, name: &str, keys: &[Vec<u8>]) -> BTreeMap<u32, u64> {
    keys.iter()
        .map(|key| {
            let partition = partition_of_key(name, key, SHARDS, table.partitions()).unwrap();
            (partition.0, table.owner(partition).unwrap())
        })
        .collect()
}

async fn maps(cluster: &Cluster, id: u64) -> MapServiceClient<Channel> {
    MapServiceClient::connect(format!("http://{}", cluster.address(id))).await.unwrap()
}

/// Every key of `name` through `via`, `limit` a page, calling `between` after each page;
/// and how many pages it took.
async fn all_keys(
    via: &mut MapServiceClient<Channel>,
    name: &str,
    limit: u32,
    mut between: impl AsyncFnMut(usize),
) -> (Vec<Vec<u8>>, usize) {
    let (mut keys, mut cursor, mut pages) = (Vec::new(), None, 0);
    loop {
        let page = via.keys(pb::MapKeysRequest { call: call(name, 0), cursor, limit }).await.unwrap().into_inner();
        assert!(page.keys.len() <= limit as usize, "a page holds at most the limit");
        pages += 1;
        assert!(pages < 1000, "the listing ends");
        keys.extend(page.keys);
        between(pages).await;
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return (keys, pages),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn map_size_listings_and_clear_are_gathered_across_partitions_and_pages() {
    let mut cluster = Cluster::start(3).await;
    let table = settled(&cluster).await;
    let keys: Vec<Vec<u8>> = (0..57).map(key).collect();
    let placed = placement(&table, "users", &keys);
    assert!(placed.len() >= 4, "the keys spread over several partitions: {placed:?}");
    let owners: BTreeSet<u64> = placed.values().copied().collect();
    assert!(owners.len() >= 2, "so every member forwards some parts: {placed:?}");

    let (mut via_1, mut via_2, mut via_3) = (maps(&cluster, 1).await, maps(&cluster, 2).await, maps(&cluster, 3).await);
    for (i, k) in keys.iter().enumerate() {
        let put = pb::MapPutRequest {
            call: call("users", i as u64 + 1),
            key: k.clone(),
            value: format!("v{i}").into_bytes(),
        };
        via_1.put(put).await.unwrap();
    }
    let size = via_2.size(pb::MapSizeRequest { call: call("users", 0) }).await.unwrap().into_inner().size;
    assert_eq!(size, 57);

    // Keys, 7 a page through another member: each once, all of them.
    let (listed, pages) = all_keys(&mut via_3, "users", 7, async |_| {}).await;
    assert!(pages >= 9, "57 keys in pages of 7: {pages} pages");
    let unique: BTreeSet<_> = listed.iter().cloned().collect();
    assert_eq!(unique.len(), listed.len(), "no key twice");
    assert_eq!(unique, keys.iter().cloned().collect::<BTreeSet<_>>());

    // Entries, 10 a page: every key with its value.
    let (mut entries, mut cursor) = (BTreeMap::new(), None);
    loop {
        let page = via_2
            .entries(pb::MapEntriesRequest { call: call("users", 0), cursor, limit: 10 })
            .await
            .unwrap()
            .into_inner();
        for entry in page.entries {
            assert!(entries.insert(entry.key, entry.value).is_none(), "no entry twice");
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(entries.len(), 57);
    assert_eq!(entries[&key(42)], b"v42".to_vec());

    // Writes while listing: keys present for the whole scan are listed once each; keys added
    // or removed meanwhile may or may not be, but never twice.
    let mut seq = 1000;
    let (listed, _) = all_keys(&mut via_3, "users", 5, async |page| {
        seq += 2;
        let added =
            pb::MapPutRequest { call: call("users", seq), key: format!("new-{page}").into_bytes(), value: Vec::new() };
        via_1.put(added).await.unwrap();
        let removed = pb::MapDeleteRequest { call: call("users", seq + 1), key: key(50 + page % 7) };
        via_1.delete(removed).await.unwrap();
    })
    .await;
    let unique: BTreeSet<_> = listed.iter().cloned().collect();
    assert_eq!(unique.len(), listed.len(), "no key twice");
    for stable in (0..50).map(key) {
        assert!(unique.contains(&stable), "{:?} was present throughout", String::from_utf8_lossy(&stable));
    }

    // Bad input: a page of 0, a cursor this server never gave.
    let zero = via_1.keys(pb::MapKeysRequest { call: call("users", 0), cursor: None, limit: 0 }).await.unwrap_err();
    assert_eq!(zero.code(), Code::InvalidArgument, "{zero:?}");
    assert!(zero.message().contains("limit"), "{zero:?}");
    let foreign = pb::MapKeysRequest { call: call("users", 0), cursor: Some(b"garbage".to_vec()), limit: 5 };
    let foreign = via_1.keys(foreign).await.unwrap_err();
    assert_eq!(foreign.code(), Code::InvalidArgument, "{foreign:?}");
    assert!(foreign.message().contains("not one this server gave"), "{foreign:?}");

    // Clear removes every entry of every partition (not atomically, but all of them here).
    let before = via_2.size(pb::MapSizeRequest { call: call("users", 0) }).await.unwrap().into_inner().size;
    let cleared = via_3.clear(pb::MapClearRequest { call: call("users", 2000) }).await.unwrap().into_inner();
    assert_eq!(cleared.removed, before);
    // Retried with the same seq: answered from each partition's record, the same count.
    let again = via_1.clear(pb::MapClearRequest { call: call("users", 2000) }).await.unwrap().into_inner();
    assert_eq!(again.removed, before);
    assert_eq!(via_2.size(pb::MapSizeRequest { call: call("users", 0) }).await.unwrap().into_inner().size, 0);
    let (listed, _) = all_keys(&mut via_2, "users", 7, async |_| {}).await;
    assert!(listed.is_empty(), "{listed:?}");
    let detail = status::error_detail(&zero).map(|d| d.code);
    assert_eq!(detail.as_deref(), Some(status::code::INVALID_ARGUMENT));
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn set_members_are_paged_across_partitions_and_clear_empties_it() {
    let mut cluster = Cluster::start(3).await;
    let table = settled(&cluster).await;
    let items: Vec<Vec<u8>> = (0..30).map(|i| format!("tag-{i}").into_bytes()).collect();
    assert!(placement(&table, "tags", &items).len() >= 3, "the items spread over several partitions");
    let connect = async |id| SetServiceClient::connect(format!("http://{}", cluster.address(id))).await.unwrap();
    let (mut via_1, mut via_2) = (connect(1).await, connect(2).await);
    for (i, item) in items.iter().enumerate() {
        via_1.add(pb::SetAddRequest { call: call("tags", i as u64 + 1), item: item.clone() }).await.unwrap();
    }
    assert_eq!(via_2.size(pb::SetSizeRequest { call: call("tags", 0) }).await.unwrap().into_inner().size, 30);

    let (mut members, mut cursor, mut pages) = (Vec::new(), None, 0);
    loop {
        let page = via_2
            .members(pb::SetMembersRequest { call: call("tags", 0), cursor, limit: 4 })
            .await
            .unwrap()
            .into_inner();
        assert!(page.items.len() <= 4);
        pages += 1;
        members.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert!(pages >= 8, "30 members in pages of 4: {pages} pages");
    let unique: BTreeSet<_> = members.iter().cloned().collect();
    assert_eq!(unique.len(), members.len(), "no member twice");
    assert_eq!(unique, items.iter().cloned().collect::<BTreeSet<_>>());

    let zero =
        via_1.members(pb::SetMembersRequest { call: call("tags", 0), cursor: None, limit: 0 }).await.unwrap_err();
    assert_eq!(zero.code(), Code::InvalidArgument, "{zero:?}");

    let cleared = via_1.clear(pb::SetClearRequest { call: call("tags", 100) }).await.unwrap().into_inner();
    assert_eq!(cleared.removed, 30);
    assert_eq!(via_2.size(pb::SetSizeRequest { call: call("tags", 0) }).await.unwrap().into_inner().size, 0);
    cluster.shutdown().await;
}
