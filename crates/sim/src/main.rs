//! `coterie-sim`: runs seeds of the CP simulation and prints what each found.
//!
//! ```text
//! cargo run -p coterie-sim --release -- --seed 42 [--bug stale-reads] [--trace]
//! cargo run -p coterie-sim --release -- --seeds 0..100 [--twice]
//! ```
//!
//! `--twice` runs every seed a second time and compares the two traces (determinism).
//!
//! `SIM_SEED=42` stands for `--seed 42`. The exit status is 1 if any run failed (including a
//! run that could not be carried out, e.g. a member that would not start), 2 for bad
//! arguments.

use std::process::ExitCode;

use coterie_sim::{Bugs, SimOptions, Status, run};

fn usage() -> ExitCode {
    eprintln!(
        "usage: coterie-sim (--seed N | --seeds A..B) [--bug stale-reads|fresh-seq-on-retry|unknown-as-fail|lossy-disk|parked-retry-fresh-seq]... [--trace] [--live] [--twice]"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut seeds = std::env::var("SIM_SEED").ok().and_then(|s| s.parse::<u64>().ok()).map(|s| s..s + 1);
    let mut options = SimOptions::default();
    let mut bugs = Bugs::default();
    let mut twice = false;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let value = args.get(i + 1);
        i += 2;
        match (arg.as_str(), value) {
            ("--trace", _) => {
                options.keep_trace = true;
                i -= 1;
            }
            ("--live", _) => {
                options.live_trace = true;
                i -= 1;
            }
            ("--twice", _) => {
                twice = true;
                i -= 1;
            }
            ("--seed", Some(n)) => match n.parse::<u64>() {
                Ok(n) => seeds = Some(n..n.saturating_add(1)),
                Err(_) => return usage(),
            },
            ("--seeds", Some(range)) => {
                let parsed = range.split_once("..").and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
                match parsed {
                    Some((a, b)) => seeds = Some(a..b),
                    None => return usage(),
                }
            }
            ("--bug", Some(bug)) => match bug.as_str() {
                "stale-reads" => bugs.stale_reads = true,
                "fresh-seq-on-retry" => bugs.fresh_seq_on_retry = true,
                "unknown-as-fail" => bugs.unknown_as_fail = true,
                "lossy-disk" => bugs.lossy_disk = true,
                "parked-retry-fresh-seq" => bugs.parked_retry_fresh_seq = true,
                _ => return usage(),
            },
            _ => return usage(),
        }
    }
    options.bugs = bugs;
    let Some(seeds) = seeds else { return usage() };
    let (mut pass, mut fail, mut exhausted, mut failing) = (0u64, 0u64, 0u64, Vec::new());
    let (mut replayed, mut diverged) = (0u64, Vec::new());
    for seed in seeds {
        let report = match run(seed, options) {
            Ok(report) => report,
            Err(err) => {
                // The engine did something the simulation cannot go on from (a member that does
                // not start): a finding like any other.
                println!("seed {seed}: Fail — could not run: {err}");
                println!("  reproduce with: {}", coterie_sim::reproduce_command(seed, bugs));
                fail += 1;
                failing.push(seed);
                continue;
            }
        };
        if let Some(lines) = report.trace.lines() {
            for line in lines {
                println!("{line}");
            }
        }
        print!("{report}");
        if twice {
            match run(seed, options) {
                Ok(again) if again.trace.hash() == report.trace.hash() => replayed += 1,
                Ok(again) => {
                    println!("  replay diverged: trace hash {:016x}", again.trace.hash());
                    diverged.push(seed);
                }
                Err(err) => {
                    eprintln!("seed {seed}: could not replay: {err}");
                    return ExitCode::from(2);
                }
            }
        }
        match report.status() {
            Status::Pass => pass += 1,
            Status::Exhausted => exhausted += 1,
            Status::Fail => {
                fail += 1;
                failing.push(seed);
            }
        }
    }
    println!("pass {pass} fail {fail} exhausted {exhausted}");
    if twice {
        let seeded = if coterie_sim::SEEDED_RUNTIME { "seeded" } else { "NOT seeded (no tokio_unstable)" };
        println!("replays identical {replayed} diverged {} (tokio generator {seeded})", diverged.len());
        if !diverged.is_empty() {
            println!("diverged seeds: {diverged:?}");
        }
    }
    if !failing.is_empty() {
        println!("failing seeds: {failing:?}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
