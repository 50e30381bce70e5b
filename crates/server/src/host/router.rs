//! The node's router (`engine::Router`): which engine serves a call's target on this
//! member. Kept apart from `host/mod.rs` so the node's state and lifecycle stay in one file
//! and the routing decision in another.

use std::sync::Arc;

use coterie_api::convert::resolve_group;
use coterie_core::{EngineError, Target};
use futures_util::future::BoxFuture;

use super::{HostError, Inner, cp_forward};
use crate::engine::{Engine, Router};
use crate::request::Request;

/// The node's router: a CP target is served by this node's replica of the group (started if
/// it is not running yet), a call it redirects forwarded to the group's leader
/// (`host/cp_forward.rs`); a sharded target by the replica of its partition if this member
/// owns it, else forwarded one hop to the owner (`host/sharded.rs`).
impl Router for Inner {
    fn route<'a>(
        &'a self,
        target: &'a Target,
        request: &'a Request,
    ) -> BoxFuture<'a, Result<Arc<dyn Engine>, EngineError>> {
        Box::pin(async move {
            match target {
                Target::Cp { group } => {
                    // The faces refuse the metadata group already; this keeps it so for any new face.
                    let group = resolve_group(group).map_err(HostError::from)?;
                    let local = match self.group(&group).await {
                        Ok(node) => Ok(node),
                        // No replica here, but a CP member to forward to (`host/cp_forward.rs`).
                        Err(err @ (HostError::PlainMember { .. } | HostError::Removed { .. })) => Err(err.into()),
                        Err(err) => return Err(err.into()),
                    };
                    let entry = cp_forward::CpEntry {
                        group,
                        local,
                        me: self.config.id,
                        peers: self.peers.clone(),
                        forwarded: Arc::clone(&self.forwarded),
                    };
                    Ok(Arc::new(entry) as Arc<dyn Engine>)
                }
                Target::Sharded { shards } => self.route_sharded(*shards, request).await,
            }
        })
    }
}
