//! One simulated run: seed → parameters → cluster → safety phase → liveness phase → check.
//!
//! * **Safety phase.** Clients run the workload while the nemesis injects the seed's faults.
//! * **Liveness phase.** Every fault is healed (cuts, loss, pauses, crashed nodes restarted)
//!   and a fresh client must, within [`SimParams::liveness_bound`] of virtual time, open a
//!   session, apply a write and read linearizably. Not doing so is a failure of the run.
//! * **Check.** Every key's history is checked for linearizability against its model, and
//!   the four Raft invariants of [`coterie_check::invariants`] are checked over what
//!   [`observe`] sampled during the run and the members' logs at its end.
//!
//! Everything runs on a tokio current-thread runtime with paused time: time advances only
//! when every task waits, straight to the next timer, so a run of many virtual seconds takes
//! a fraction of that in real time, and nothing depends on how fast the machine is.

use std::sync::{Arc, Mutex, PoisonError};

use std::time::Duration;

use coterie_check::models::{CasRegister, Counter, CounterInput, FencedMutex, RegisterInput, Semaphore};
use coterie_check::{Budget, History, Model, Verdict, check};
use coterie_core::CoreError;
use coterie_server::Request;
use coterie_server::cp::CpError;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::SimError;
use crate::client::{ClientCtx, SimClient};
use crate::cluster::Cluster;
use crate::net::Net;
use crate::observe::{self, Recorder};
use crate::ops::{COUNTER_KEYS, LOCK_KEYS, Op, REFERENCE_KEYS, REGISTER_KEYS, SEMAPHORE_KEYS, semaphore_init};
use crate::params::{Bugs, SimParams};
use crate::record::{Ended, Histories, counts};
use crate::report::{KeyReport, Liveness, SimReport};
use crate::rng::SimRng;
use crate::{membership, nemesis, report};

/// How a run is made, beyond its seed.
#[derive(Clone, Copy, Debug)]
pub struct SimOptions {
    /// The planted bugs to switch on (none by default).
    pub bugs: Bugs,
    /// Keep every trace line (to find where two runs diverge); the hash is always kept.
    pub keep_trace: bool,
    /// Print every trace event to stderr as it happens (to watch a run that hangs).
    pub live_trace: bool,
    /// The checker's budget per key.
    pub budget: Budget,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            bugs: Bugs::default(),
            keep_trace: false,
            live_trace: false,
            budget: Budget { max_steps: 2_000_000 },
        }
    }
}

/// Whether this build seeds tokio's internal generator (built with `--cfg tokio_unstable`,
/// as `scripts/sim.sh` does). Without it, two runs of one seed can wake the waiters of a
/// `watch` channel in different orders and diverge: each run is still a valid run to check,
/// but not a replay of the other.
pub const SEEDED_RUNTIME: bool = cfg!(tokio_unstable);

/// Runs seed `seed` to its report.
pub fn run(seed: u64, options: SimOptions) -> Result<SimReport, SimError> {
    let mut builder = tokio::runtime::Builder::new_current_thread();
    builder.enable_time().start_paused(true);
    // tokio draws from its own per-runtime generator, e.g. to place a `watch` channel's
    // waiters on one of its notification shards, which decides the order they wake in. Only a
    // `tokio_unstable` build can seed that generator; see `SEEDED_RUNTIME`.
    #[cfg(tokio_unstable)]
    builder.rng_seed(tokio::runtime::RngSeed::from_bytes(&seed.to_le_bytes()));
    let runtime = builder.build().map_err(|err| SimError::Runtime(err.to_string()))?;
    runtime.block_on(simulate(SimParams::from_seed(seed), options))
}

async fn simulate(params: SimParams, options: SimOptions) -> Result<SimReport, SimError> {
    let start = Instant::now();
    let root = SimRng::new(params.seed);
    let net = Net::new(root.fork(1), start, options.keep_trace, options.live_trace);
    let cluster = Cluster::start(params.clone(), options.bugs, Arc::clone(&net), start).await?;
    setup(&cluster, &params).await?;
    let histories = Arc::new(Mutex::new(Histories::default()));
    let recorder = Recorder::default();
    let (stop_sampling, sampling) = watch::channel(false);
    let sampler = tokio::spawn(observe::sample(Arc::clone(&cluster), Arc::clone(&recorder), start, sampling));
    let ctx = ClientCtx {
        recorder: Arc::clone(&recorder),
        cluster: Arc::clone(&cluster),
        net: Arc::clone(&net),
        params: params.clone(),
        bugs: options.bugs,
        histories: Arc::clone(&histories),
        start,
    };

    // Safety phase.
    let safety_end = Instant::now() + params.safety;
    let (stop, stopped) = watch::channel(false);
    let clients: Vec<_> = (1..=params.clients)
        .map(|id| {
            let client = SimClient::new(ctx.clone(), id, root.fork(100 + id));
            tokio::spawn(client.workload(stopped.clone(), safety_end))
        })
        .collect();
    let changes =
        tokio::spawn(membership::run(Arc::clone(&cluster), Arc::clone(&net), params.clone(), root.fork(4), safety_end));
    nemesis::run(&cluster, &net, &params, root.fork(2), safety_end).await?;
    let membership_steps = changes.await.map_err(|err| SimError::Task(err.to_string()))?;
    let _ = stop.send(true);

    // Liveness phase.
    nemesis::heal(&cluster, &net).await?;
    let healed = Instant::now();
    net.record("healed");
    let probe_client = SimClient::new(ctx.clone(), params.clients + 1, root.fork(3))
        .with_op_timeout(params.liveness_bound)
        .with_lasting_sessions();
    let probe = tokio::spawn(probe(probe_client, healed + params.liveness_bound));
    for client in clients {
        client.await.map_err(|err| SimError::Task(err.to_string()))?;
    }
    let liveness = probe.await.map_err(|err| SimError::Task(err.to_string()))?;
    let _ = stop_sampling.send(true);
    sampler.await.map_err(|err| SimError::Task(err.to_string()))?;
    let virtual_time = start.elapsed();
    net.record(&format!("liveness {liveness:?}"));
    let (invariants, sampled, snapshot) = observe::check(&cluster, &recorder);

    let histories = histories.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let mut keys = Vec::new();
    for key in REGISTER_KEYS {
        if let Some(history) = histories.registers.key(&key.to_owned()) {
            keys.push(check_key(key, &CasRegister::new(0i64), history, options.budget));
        }
    }
    for key in REFERENCE_KEYS {
        if let Some(history) = histories.references.key(&key.to_owned()) {
            keys.push(check_key(key, &CasRegister::new(None), history, options.budget));
        }
    }
    for key in COUNTER_KEYS {
        if let Some(history) = histories.counters.key(&key.to_owned()) {
            keys.push(check_key(key, &Counter::default(), history, options.budget));
        }
    }
    for key in LOCK_KEYS {
        if let Some(history) = histories.locks.key(&key.to_owned()) {
            keys.push(check_key(key, &FencedMutex::default(), history, options.budget));
        }
    }
    // The CP semaphore serves waiters strictly in order, so a try may fail while permits are free.
    let semaphore = Semaphore { permits: params.permits, fifo: true };
    for key in SEMAPHORE_KEYS {
        if let Some(history) = histories.semaphores.key(&key.to_owned()) {
            keys.push(check_key(key, &semaphore, history, options.budget));
        }
    }
    Ok(SimReport {
        params,
        bugs: options.bugs,
        keys,
        liveness,
        anomalies: histories.anomalies,
        invariants,
        sampled,
        snapshot,
        net: net.stats(),
        coverage: histories.coverage,
        membership_steps,
        trace: net.trace(),
        virtual_time,
    })
}

/// Gives each semaphore its permits before the workload (and the faults) start, retrying
/// until some member applies the `Init` (or answers that an earlier attempt did).
async fn setup(cluster: &Cluster, params: &SimParams) -> Result<(), SimError> {
    let deadline = Instant::now() + Duration::from_secs(30);
    for key in SEMAPHORE_KEYS {
        let init = Request::internal(semaphore_init(key, params.permits));
        'init: loop {
            for id in cluster.ids() {
                let Some(node) = cluster.node(id) else { continue };
                match node.call(init.clone(), Duration::from_secs(1)).await {
                    Ok(_) | Err(CpError::Core(CoreError::AlreadyInitialized)) => break 'init,
                    Err(_) if Instant::now() < deadline => {}
                    Err(err) => return Err(SimError::Setup(format!("{key}: {err}"))),
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    Ok(())
}

/// The liveness probe: a session, a write and a linearizable read, all by `deadline`.
async fn probe(mut client: SimClient, deadline: Instant) -> Liveness {
    let started = Instant::now();
    if !client.open_session(deadline).await {
        return Liveness::Failed("no session could be opened".to_owned());
    }
    let write = Op::Counter { key: COUNTER_KEYS[0].to_owned(), input: CounterInput::Add(1) };
    let read = Op::Register { key: REGISTER_KEYS[0].to_owned(), input: RegisterInput::Read };
    for (what, op) in [("write", write), ("read", read)] {
        let ended = client.run(&op).await;
        if !matches!(ended, Ended::Ok(_)) || Instant::now() > deadline {
            return Liveness::Failed(format!("the {what} ended {ended:?}"));
        }
    }
    Liveness::Served(started.elapsed())
}

fn check_key<M: Model>(key: &str, model: &M, history: &History<M::Input, M::Output>, budget: Budget) -> KeyReport {
    let (ok, fail, unknown) = counts(history);
    let verdict = check(model, history, budget);
    let detail = match &verdict {
        Verdict::NotLinearizable(counterexample) => Some(report::explain(history, counterexample)),
        _ => None,
    };
    KeyReport { key: key.to_owned(), ok, fail, unknown, verdict: report::Checked::from(&verdict), detail }
}
