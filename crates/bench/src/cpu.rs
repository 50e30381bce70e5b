//! Server CPU time from `/proc/<pid>/stat`, so a run can say what its throughput cost.
//!
//! `utime` and `stime` (fields 14 and 15) are in clock ticks. We assume 100 ticks per
//! second, the value of `getconf CLK_TCK` on every mainstream Linux build (reading it
//! properly needs `sysconf`, i.e. libc, for one constant). On systems without `/proc` the
//! CPU figure is simply absent.

use std::path::PathBuf;

/// Clock ticks per second assumed for `/proc/<pid>/stat` (Linux's `USER_HZ`).
pub const CLOCK_TICKS_PER_S: f64 = 100.0;

/// User + system CPU ticks of `pid` so far, or why they could not be read.
pub fn cpu_ticks(pid: u32) -> Result<u64, String> {
    let path = PathBuf::from(format!("/proc/{pid}/stat"));
    let stat = std::fs::read_to_string(&path).map_err(|err| format!("reading {}: {err}", path.display()))?;
    parse_stat(&stat).ok_or_else(|| format!("{} is not in the expected format", path.display()))
}

/// The state letter (`R`, `S`, `Z`, ...) from the text of a `/proc/<pid>/stat` file.
pub fn process_state(stat: &str) -> Option<char> {
    stat[stat.rfind(')')? + 1..].split_whitespace().next()?.chars().next()
}

/// utime + stime from the text of a `/proc/<pid>/stat` file.
pub fn parse_stat(stat: &str) -> Option<u64> {
    // The command name (field 2) is in parentheses and may contain spaces: fields after it
    // start past the last ')'. Field 3 is then index 0, so utime (14) is index 11.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Samples the summed CPU ticks of a set of processes.
#[derive(Clone, Debug, Default)]
pub struct CpuSampler {
    pids: Vec<u32>,
    at_start: Option<u64>,
    total_s: Option<f64>,
}

impl CpuSampler {
    /// A sampler over `pids` (empty: it reports nothing).
    pub fn new(pids: Vec<u32>) -> Self {
        CpuSampler { pids, at_start: None, total_s: None }
    }

    fn sum(&self) -> Option<u64> {
        if self.pids.is_empty() {
            return None;
        }
        self.pids.iter().map(|&pid| cpu_ticks(pid).ok()).sum()
    }

    /// Marks the start of the measured phase.
    pub fn start(&mut self) {
        self.at_start = self.sum();
    }

    /// Marks its end.
    pub fn stop(&mut self) {
        if let (Some(start), Some(end)) = (self.at_start, self.sum()) {
            self.total_s = Some(end.saturating_sub(start) as f64 / CLOCK_TICKS_PER_S);
        }
    }

    /// CPU seconds used between `start` and `stop`, if every process could be read both times.
    pub fn seconds(&self) -> Option<f64> {
        self.total_s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_read_after_the_command_name() {
        let stat = "42 (my (odd) server) S 1 42 42 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 4 0 100 0 0";
        assert_eq!(parse_stat(stat), Some(325));
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(process_state(stat), Some('S'));
        assert_eq!(process_state("7 (a) Z 1"), Some('Z'));
        assert_eq!(process_state("garbage"), None);
    }

    #[test]
    fn the_sampler_reads_this_process() {
        let mut sampler = CpuSampler::new(vec![std::process::id()]);
        sampler.start();
        sampler.stop();
        if std::path::Path::new("/proc/self/stat").exists() {
            assert!(sampler.seconds().is_some());
        }
    }
}
