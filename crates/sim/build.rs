//! Declares the `tokio_unstable` cfg, which the simulation checks for: only with it can the
//! runtime's internal random generator (it picks a `watch` channel's notification shard, so
//! the order in which waiting tasks wake) be seeded. See `run.rs`.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(tokio_unstable)");
}
