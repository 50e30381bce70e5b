//! Runs one benchmark against a peer (`--system etcd|zookeeper|redis`) without the `coterie`
//! binary: `cargo run --release -p coterie-bench --features peers --example peer_bench -- --system etcd ...`.
//! Coterie itself is benchmarked through `coterie bench`, which supplies the gRPC connector.

use clap::Parser;
use coterie_bench::BenchArgs;
use coterie_client::{Client, Transport};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    bench: BenchArgs,
}

/// Stands in for the gRPC connector: this example has none.
fn no_coterie(_endpoints: Vec<String>, _client: usize) -> std::future::Ready<Result<Client<NoTransport>, String>> {
    std::future::ready(Err("this example benchmarks peers only: use `coterie bench` for Coterie".to_owned()))
}

/// A transport that is never used.
struct NoTransport;

impl Transport for NoTransport {
    fn endpoints(&self) -> usize {
        0
    }

    async fn call(
        &self,
        _endpoint: usize,
        _call: coterie_client::Call,
        _timeout: Option<std::time::Duration>,
    ) -> Result<coterie_core::GroupOutput, coterie_client::TransportError> {
        Err(coterie_client::TransportError::Unavailable { reason: "no transport".to_owned() })
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(coterie_bench::run(cli.bench, no_coterie))?;
    Ok(())
}
