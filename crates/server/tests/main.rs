//! coterie-server's integration tests, one module per former test file, in one test binary:
//! each separate binary compiled the shared helpers again and linked the whole dependency
//! stack again, which was most of CI's build time on two cores.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

mod support;

mod bad_input_over_grpc;
mod blob_collection;
mod blobs;
mod bucket_recipes;
mod client_pauses;
mod client_routing;
mod cp_cluster;
mod entities;
mod forwarding;
mod grpc_cluster;
mod grpc_conventions;
mod membership;
mod multipart;
mod object_store;
mod objects;
mod restart_reads;
mod scenarios;
mod sharded;
mod sharded_catalog;
mod sharded_handles;
mod sharded_kinds;
mod sharded_liveness;
mod sharded_moves;
mod sharded_queue_grpc;
mod sharded_sync_grpc;
mod sharded_whole_grpc;
mod shutdown_release;
