//! coterie-s3's integration tests, one module per former test file, in one test binary:
//! each separate binary compiled the shared helpers again and linked the whole dependency
//! stack again, which was most of CI's build time on two cores.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should panic")]

mod support;

mod follower;
mod gateway;
