//! # coterie-api
//!
//! Coterie's gRPC face. The contract itself is `proto/coterie/v1/coterie.proto`, written for
//! clients in every language; this crate is its Rust side.
//!
//! - [`pb`]: the code generated from the proto (messages, clients, server traits).
//! - [`convert`]: pure conversions from proto requests to core commands and from core outputs
//!   to proto responses, so that services are thin and every mapping is unit-testable
//!   without a network.
//! - [`status`]: the one place that turns errors into `tonic::Status` (with a machine-readable
//!   [`pb::ErrorDetail`]) and statuses back into a typed client error.

/// Code generated from `proto/coterie/v1/coterie.proto` (package `coterie.v1`).
#[allow(missing_docs, clippy::all, clippy::pedantic, clippy::unwrap_used, clippy::expect_used)]
pub mod pb {
    tonic::include_proto!("coterie.v1");

    /// The encoded `FileDescriptorSet` of `coterie.proto` (and what it imports): what a
    /// server's gRPC reflection service describes, so `grpcurl` can list and call every rpc.
    pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/coterie_descriptor.bin"));
}

pub mod convert;
pub mod status;
pub mod status_reason;

/// The request header (any value) by which a client that follows redirects itself asks a
/// member not to forward a call it cannot serve: the member answers `UNAVAILABLE` naming the
/// leader instead, so the client learns it and goes direct. Without it, a member forwards the
/// call to the member that serves it and relays the answer.
pub const NO_FORWARD_HEADER: &str = "x-coterie-no-forward";
