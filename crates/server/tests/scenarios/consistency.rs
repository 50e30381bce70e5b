//! Consistency levels on CP structures: a CP group commits on a majority and is
//! linearizable, so it serves every level a majority meets and refuses, with a reason, the
//! ones it cannot give, over every transport.

use coterie_client::{ClientError, Consistency};
use coterie_core::CoreError;

use crate::support::suite::{TestCluster, scenarios};

scenarios! {
    a_cp_group_serves_the_levels_a_majority_meets_and_refuses_the_rest: [grpc, embedded],
}

async fn a_cp_group_serves_the_levels_a_majority_meets_and_refuses_the_rest<C: TestCluster>() {
    let mut cluster = C::start(3).await;
    let client = cluster.client().await;
    for (n, level) in [
        Consistency::Default,
        Consistency::Eventual,
        Consistency::Quorum,
        Consistency::AtLeast(1),
        Consistency::AtLeast(2),
    ]
    .into_iter()
    .enumerate()
    {
        let counter = client.with_consistency(level).atomic_long("levels").unwrap();
        assert_eq!(counter.increment_and_get().await.unwrap(), n as i64 + 1, "{level}");
        assert_eq!(counter.get().await.unwrap(), n as i64 + 1, "{level}");
    }
    // Every voter of three, or more than a majority: not what Raft gives, so refused, and
    // nothing is applied.
    for level in [Consistency::Strong, Consistency::AtLeast(3), Consistency::AtLeast(0)] {
        let counter = client.with_consistency(level).atomic_long("levels").unwrap();
        let refused = counter.increment_and_get().await;
        assert!(
            matches!(&refused, Err(ClientError::Refused(CoreError::InvalidArgument { .. }))),
            "{level}: {refused:?}"
        );
    }
    assert_eq!(client.atomic_long("levels").unwrap().get().await.unwrap(), 5);
    cluster.shutdown().await;
}
