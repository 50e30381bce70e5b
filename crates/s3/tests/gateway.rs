//! The S3 gateway over real HTTP on 127.0.0.1, driven by boto3 (the AWS SDK for Python,
//! installed by `scripts/s3-client.sh`) against a 3-member cluster: the cases are in
//! `tests/boto3_cases.py`; this file starts the cluster and runs them, and checks by hand
//! (raw HTTP) that an unsigned request is refused.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

use crate::support;

use std::path::PathBuf;
use std::process::Command;

use support::{Cluster, credentials};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The venv's python that `scripts/s3-client.sh` made, if it was run.
fn python() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let venv = std::env::var_os("COTERIE_S3_VENV").map_or_else(|| root.join("target/s3-client"), PathBuf::from);
    let python = venv.join("bin/python");
    python.exists().then_some(python)
}

/// Runs the boto3 cases against `endpoint` (the leader's gateway) as run number `run`.
async fn run_cases(python: PathBuf, endpoint: String, follower: String, run: u32) -> std::process::Output {
    let keys = credentials();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/boto3_cases.py");
    tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .env("S3_ENDPOINT", endpoint)
            .env("S3_FOLLOWER_ENDPOINT", follower)
            .env("S3_ACCESS_KEY", keys.access_key)
            .env("S3_SECRET_KEY", keys.secret_key)
            .env("S3_RUN", run.to_string())
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_drives_the_gateway() {
    let Some(python) = python() else {
        assert!(std::env::var_os("CI").is_none(), "CI must install boto3 first: run scripts/s3-client.sh");
        eprintln!("SKIPPED: boto3 is not installed; run scripts/s3-client.sh, then this test again");
        return;
    };
    let cluster = Cluster::start().await;
    // The cases go to the leader's gateway (and, in `follower_and_names`, a follower's, which
    // forwards). If leadership moves during a run (an election on a loaded machine), calls
    // answer 503 until a leader is known: the cases run once more, on fresh buckets. With a
    // stable leader a failure fails the test.
    for run in 0..2 {
        let leader = cluster.leader().await;
        let follower = cluster.nodes.keys().copied().find(|id| *id != leader).unwrap();
        let output = run_cases(python.clone(), cluster.endpoint(leader), cluster.endpoint(follower), run).await;
        println!("{}", String::from_utf8_lossy(&output.stdout));
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
        if output.status.success() {
            cluster.shutdown().await;
            return;
        }
        let now = cluster.leader().await;
        assert!(now != leader && run == 0, "the boto3 cases failed with member {leader} still leading (see above)");
        eprintln!("leadership moved from member {leader} to {now} during the run; running the cases again");
    }
    cluster.shutdown().await;
}

/// Sends `request` as it is and answers the response's status line.
async fn raw(address: std::net::SocketAddr, request: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer).lines().next().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_requests_are_refused() {
    let cluster = Cluster::start().await;
    let leader = cluster.leader().await;
    let address = cluster.gateways[&leader].local_addr;
    let put = "PUT /bucket-one/key HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc";
    assert!(raw(address, put).await.contains(" 403 "), "an unsigned put is refused");
    let get = "GET /bucket-one/key HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    assert!(raw(address, get).await.contains(" 403 "), "an unsigned get is refused");
    cluster.shutdown().await;
}
