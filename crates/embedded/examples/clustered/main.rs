//! Seed 002's clustered guide: `cargo run -p coterie-embedded --example clustered`.
//!
//! Forms a two-node cluster in this process (node 2 joins node 1 through its address),
//! registers a counter entity on both, sends increments and queries through node 1, and
//! says where each entity lives. See `flow.rs`.

mod flow;

#[tokio::main]
async fn main() -> Result<(), coterie_embedded::EmbeddedError> {
    flow::run(&mut |line| println!("{line}")).await
}
