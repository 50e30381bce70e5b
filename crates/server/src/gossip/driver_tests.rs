//! Real drivers on loopback UDP: formation in any order, the detection time of a member
//! stopped without a word (measured and printed), a graceful leave, and garbage on the
//! socket. Every wait is a bounded wait for a condition on the watched views.

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::{Instant, timeout};

use super::*;

/// Generous for a loaded CI machine; the measured figures are far below.
const BOUND: Duration = Duration::from_secs(10);

/// `n` drivers (member ids 1..=n) on loopback, started in a shuffled order, each seeded
/// with every address (its own is skipped).
fn cluster(n: usize, shuffle: u64) -> Vec<GossipHandle> {
    let sockets: Vec<UdpSocket> = (0..n).map(|_| UdpSocket::bind("127.0.0.1:0").unwrap()).collect();
    let addrs: Vec<SocketAddr> = sockets.iter().map(|s| s.local_addr().unwrap()).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.rotate_left((shuffle as usize) % n);
    if shuffle % 2 == 1 {
        order.reverse();
    }
    let mut sockets: Vec<Option<UdpSocket>> = sockets.into_iter().map(Some).collect();
    let mut handles: Vec<Option<GossipHandle>> = (0..n).map(|_| None).collect();
    for i in order {
        let driver = GossipDriver {
            generation: Some(1),
            rng_seed: Some(shuffle * 100 + i as u64),
            ..GossipDriver::new(i as u64 + 1, addrs[i], format!("127.0.0.1:{}", 9000 + i)).with_seeds(addrs.clone())
        };
        handles[i] = Some(driver.start_with_socket(sockets[i].take().unwrap()).unwrap());
    }
    handles.into_iter().map(Option::unwrap).collect()
}

/// Waits until `view` satisfies `done`, at most until `deadline`.
async fn wait_view(view: &mut watch::Receiver<GossipView>, deadline: Instant, done: impl Fn(&GossipView) -> bool) {
    let left = deadline.saturating_duration_since(Instant::now());
    let reached = matches!(timeout(left, view.wait_for(|v| done(v))).await, Ok(Ok(_)));
    assert!(reached, "condition not reached in time; view: {:?}", *view.borrow());
}

fn state_of(view: &GossipView, member: u64) -> Option<MemberState> {
    view.get(&member).map(|m| m.state)
}

/// Waits until every handle in `live` sees every member of `live` Up.
async fn converge(handles: &[&GossipHandle]) {
    let deadline = Instant::now() + BOUND;
    let ids: Vec<u64> = handles.iter().map(|h| h.identity().member).collect();
    for handle in handles {
        let mut view = handle.members();
        wait_view(&mut view, deadline, |v| ids.iter().all(|&m| state_of(v, m) == Some(MemberState::Up))).await;
    }
}

/// Forms a cluster of `n`, stops member 2 abruptly, and returns how long until every
/// other member saw it Down.
async fn detection_time(n: usize, round: u64) -> Duration {
    let mut handles = cluster(n, round);
    converge(&handles.iter().collect::<Vec<_>>()).await;
    let victim = handles.remove(1);
    let id = victim.identity().member;
    let mut views: Vec<_> = handles.iter().map(GossipHandle::members).collect();
    victim.stop().await;
    let stopped = Instant::now();
    let deadline = stopped + BOUND;
    for view in &mut views {
        wait_view(view, deadline, |v| state_of(v, id) == Some(MemberState::Down)).await;
    }
    let took = stopped.elapsed();
    // The survivors still see each other Up.
    converge(&handles.iter().collect::<Vec<_>>()).await;
    for handle in handles {
        handle.stop().await;
    }
    took
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_is_detected_within_bound() {
    for n in [3, 5] {
        let mut times = Vec::new();
        for round in 0..5 {
            times.push(detection_time(n, round).await);
        }
        times.sort();
        println!(
            "loopback UDP detection time, {n} members, 5 rounds: min {:?} median {:?} max {:?} (all {times:?})",
            times[0], times[2], times[4]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_leave_is_seen_as_left() {
    let mut handles = cluster(3, 7);
    converge(&handles.iter().collect::<Vec<_>>()).await;
    let leaver = handles.remove(0);
    let id = leaver.identity().member;
    let mut views: Vec<_> = handles.iter().map(GossipHandle::members).collect();
    let mut suggestions = handles[0].suggestions();
    let started = Instant::now();
    leaver.leave().await.unwrap();
    let deadline = started + BOUND;
    for view in &mut views {
        wait_view(view, deadline, |v| state_of(v, id) == Some(MemberState::Left)).await;
    }
    println!("graceful leave seen as Left by both others in {:?}", started.elapsed());
    // Leaving (if the news came on its own first), then gone as Left, never as a crash.
    loop {
        // (Suggestions about the other members, after a false suspicion on a loaded
        // machine, are not this test's business.)
        match timeout(BOUND, suggestions.recv()).await.unwrap().unwrap() {
            Suggestion::Down(m) if m.id.member == id => {
                assert_eq!(m.state, MemberState::Left, "a graceful leave was taken for a crash");
                break;
            }
            _ => {}
        }
    }
    for handle in handles {
        handle.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_on_the_socket_is_dropped_and_counted() {
    let handles = cluster(2, 3);
    converge(&handles.iter().collect::<Vec<_>>()).await;
    let target = handles[0].local_addr();
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    sender.send_to(&[0xff; 40], target).unwrap();
    sender.send_to(&[0u8; 3000], target).unwrap();
    sender.send_to(b"", target).unwrap();
    // The datagrams are processed in order: wait until all three are counted.
    let deadline = Instant::now() + BOUND;
    loop {
        let stats = handles[0].stats();
        if stats.malformed >= 2 && stats.oversized >= 1 {
            break;
        }
        assert!(Instant::now() < deadline, "garbage not counted: {stats:?}");
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Still a working cluster.
    converge(&handles.iter().collect::<Vec<_>>()).await;
    for handle in handles {
        handle.stop().await;
    }
}
