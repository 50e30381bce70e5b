//! Cluster scenarios written once and run on every backend that can run them: real nodes
//! over gRPC on loopback (`<scenario>::grpc`) and in-process nodes behind the embedded
//! transport (`<scenario>::embedded`). The trait, the capabilities and the macro are in
//! `support/suite.rs`; each file lists its scenarios and backends at the top, with the
//! reason next to any backend left out. Every wait is bounded; no sleep synchronizes.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

mod consistency;
mod faults;
mod use_cases;
