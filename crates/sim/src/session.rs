//! A client's session heartbeats, in seeds whose sessions may expire.
//!
//! In those seeds ([`SimParams::session_ttl`](crate::SimParams::session_ttl)) each session
//! has a short TTL, and a task beside the client sends `Heartbeat` every third of it, over
//! the same lossy link as the client's calls, to the member it last heard leads (a random one
//! after a timeout or a loss); a beat is never retried after a timeout or a loss. Lost beats, partitions that leave the asked member without a quorum,
//! crashes and clock skew between successive leaders (the group's clock is the leaders'
//! stamps) then expire sessions mid-run and mid-call. A beat refused by a member that does not
//! lead follows its hint to the leader at once (twice at most). A beat that the group answers
//! `SessionExpired` tells the client, which opens a new session (a fresh model owner) for
//! its next operation; a call refused as expired tells it the same.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use coterie_core::{GroupCommand, SessionId};
use coterie_server::Request;
use tokio::task::JoinHandle;

use crate::client::ClientCtx;
use crate::link::{Attempt, Path, attempt};
use crate::rng::SimRng;

/// The heartbeats of one session; they stop when this is dropped.
pub struct Heartbeats {
    task: JoinHandle<()>,
    expired: Arc<AtomicBool>,
}

impl Heartbeats {
    /// Starts beating for `session` of client `client` every `every`.
    pub fn start(ctx: ClientCtx, client: u64, session: SessionId, every: Duration, mut rng: SimRng) -> Self {
        let expired = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&expired);
        let task = tokio::spawn(async move {
            let beat = Request::internal(GroupCommand::Heartbeat { session });
            let mut asked = rng.range(1, ctx.cluster.size() + 1);
            loop {
                tokio::time::sleep(every).await;
                // A beat follows a `NotLeader` hint at once, twice at most; anything else
                // waits for the next beat, at another member.
                for _ in 0..3 {
                    match attempt(&ctx, &mut rng, asked, &beat, Path::Call).await {
                        Attempt::Expired => {
                            ctx.net.record(&format!("client {client} session {} expired (heartbeat)", session.0));
                            seen.store(true, Ordering::Relaxed);
                            return;
                        }
                        Attempt::NotApplied(Some(leader)) if leader != asked => asked = leader,
                        Attempt::Done(_) => break,
                        _ => {
                            asked = rng.range(1, ctx.cluster.size() + 1);
                            break;
                        }
                    }
                }
            }
        });
        Heartbeats { task, expired }
    }

    /// Whether a heartbeat was answered `SessionExpired`.
    pub fn expired(&self) -> bool {
        self.expired.load(Ordering::Relaxed)
    }
}

impl Drop for Heartbeats {
    fn drop(&mut self) {
        self.task.abort();
    }
}
