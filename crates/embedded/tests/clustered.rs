//! The clustered example's flow (seed 002), run as a test: the same code the example runs,
//! with its output checked line by line.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

#[path = "../examples/clustered/flow.rs"]
mod flow;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_clustered_guide_forms_two_nodes_and_prints_seed_002s_balances() {
    let mut lines = Vec::new();
    flow::run(&mut |line| lines.push(line)).await.unwrap();
    let expected = [
        "── Cluster formed (2 nodes) ──",
        "",
        "── Sending increments ──",
        "  [alice] 0 + 10 = 10",
        "  [alice] 10 + 5 = 15",
        "  [bob] 0 + 100 = 100",
        "  [carol] 0 + 42 = 42",
        "",
        "── Querying balances ──",
        "  alice: 15",
        "  bob: 100",
        "  carol: 42",
        "",
        "── Where the entities live ──",
    ];
    assert_eq!(lines[..expected.len()], expected, "{lines:#?}");
    let placement = &lines[expected.len()..];
    for (line, id) in placement.iter().zip(["alice", "bob", "carol"]) {
        assert!(line == &format!("  {id} lives on node 1") || line == &format!("  {id} lives on node 2"), "{line}");
    }
    assert!(placement[3].contains("partitions)"), "{placement:#?}");
}
