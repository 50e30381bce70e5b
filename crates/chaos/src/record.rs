//! The history file: one JSON object per line, one line per operation, and how its lines map
//! to coterie-check histories.
//!
//! A line is a [`Record`]: the process (one client task, renumbered after an `unknown`
//! outcome), the AtomicLong's name, what was asked, the invoke and completion times in
//! nanoseconds since the recorder started (one monotonic clock for the whole process), and
//! the outcome as the client saw it:
//!
//! * `ok` with the output: the call returned;
//! * `fail`: the call certainly did not take effect (the structure refused it, or the client
//!   answered `Unavailable`: no member received it);
//! * `unknown`: anything else (a timeout, `Indeterminate`, a lost connection). The checker
//!   gives it no completion bound and considers it both applied and not.
//!
//! Each key is one AtomicLong used either as a compare-and-set register (`read`, `write`,
//! `cas`) or as a counter (`incr`, `count`), never both; both start at 0, so the recorder must
//! use names no earlier run touched.

use std::collections::BTreeMap;

use coterie_check::models::{CounterInput, CounterOutput, RegisterInput, RegisterOutput};
use coterie_check::{HistoryError, KeyedHistory, Operation, Outcome};
use serde::{Deserialize, Serialize};

/// What an operation asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "f", rename_all = "snake_case")]
pub enum Input {
    /// Register read (`get`).
    Read,
    /// Register write (`set`).
    Write {
        /// The value written.
        value: i64,
    },
    /// Register compare-and-set.
    Cas {
        /// The value required.
        expect: i64,
        /// The value set on success.
        new: i64,
    },
    /// Counter `increment_and_get`.
    Incr,
    /// Counter read (`get`).
    Count,
}

impl Input {
    /// Whether this input is a counter operation (otherwise a register one).
    pub fn is_counter(self) -> bool {
        matches!(self, Input::Incr | Input::Count)
    }
}

/// What a successful operation returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Output {
    /// A value (a read, or the counter's new value).
    Value(i64),
    /// A write's acknowledgement.
    Written,
    /// Whether a compare-and-set swapped.
    Swapped(bool),
}

/// How an operation ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordOutcome {
    /// It returned this output.
    Ok(Output),
    /// It certainly did not take effect; the client's error.
    Fail(String),
    /// It may have taken effect; the client's error.
    Unknown(String),
}

/// One recorded operation: one line of the history file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The process that issued it.
    pub process: u64,
    /// The AtomicLong's name.
    pub key: String,
    /// What was asked.
    pub input: Input,
    /// Invoke time, nanoseconds since the recorder started.
    pub invoke: u64,
    /// Completion time, nanoseconds since the recorder started.
    pub complete: u64,
    /// How it ended.
    pub outcome: RecordOutcome,
}

/// A history file that cannot be checked.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// A line is not a record.
    #[error("line {line}: {source}")]
    Parse {
        /// The 1-based line number.
        line: usize,
        /// Why it does not parse.
        source: serde_json::Error,
    },
    /// A key is used both as a register and as a counter.
    #[error("line {line}: key {key:?} is used both as a register and as a counter")]
    MixedKey {
        /// The 1-based line number.
        line: usize,
        /// The key.
        key: String,
    },
    /// An output does not fit its input (a read that answered `written`, ...).
    #[error("line {line}: output {output:?} does not answer {input:?}")]
    OutputMismatch {
        /// The 1-based line number.
        line: usize,
        /// The input.
        input: Input,
        /// The output.
        output: Output,
    },
    /// An operation completes before it is invoked.
    #[error("line {line}: {source}")]
    Malformed {
        /// The 1-based line number.
        line: usize,
        /// The checker's complaint.
        source: HistoryError,
    },
}

/// The outcome counts of a set of operations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Operations that returned.
    pub ok: usize,
    /// Operations that certainly did not take effect.
    pub fail: usize,
    /// Operations that may have taken effect.
    pub unknown: usize,
}

impl Counts {
    /// Every operation counted.
    pub fn total(&self) -> usize {
        self.ok + self.fail + self.unknown
    }

    fn add(&mut self, outcome: &RecordOutcome) {
        match outcome {
            RecordOutcome::Ok(_) => self.ok += 1,
            RecordOutcome::Fail(_) => self.fail += 1,
            RecordOutcome::Unknown(_) => self.unknown += 1,
        }
    }
}

/// A history file split by model, each key with its outcome counts.
#[derive(Debug, Default)]
pub struct Histories {
    /// The register keys.
    pub registers: KeyedHistory<String, RegisterInput<i64>, RegisterOutput<i64>>,
    /// The counter keys.
    pub counters: KeyedHistory<String, CounterInput, CounterOutput>,
    /// The outcome counts of each key.
    pub counts: BTreeMap<String, Counts>,
    /// The 1-based file line of each key's operations, indexed by the checker's `OpId`.
    pub lines: BTreeMap<String, Vec<usize>>,
}

fn outcome<O>(
    line: usize,
    input: Input,
    outcome: &RecordOutcome,
    map: impl Fn(Output) -> Option<O>,
) -> Result<Outcome<O>, RecordError> {
    Ok(match outcome {
        RecordOutcome::Ok(out) => {
            Outcome::Ok(map(*out).ok_or(RecordError::OutputMismatch { line, input, output: *out })?)
        }
        RecordOutcome::Fail(_) => Outcome::Fail,
        RecordOutcome::Unknown(_) => Outcome::Unknown,
    })
}

fn register_input(input: Input) -> RegisterInput<i64> {
    match input {
        Input::Write { value } => RegisterInput::Write(value),
        Input::Cas { expect, new } => RegisterInput::CompareAndSet { expect, new },
        _ => RegisterInput::Read,
    }
}

fn register_output(input: Input, out: Output) -> Option<RegisterOutput<i64>> {
    match (input, out) {
        (Input::Read, Output::Value(v)) => Some(RegisterOutput::Value(v)),
        (Input::Write { .. }, Output::Written) => Some(RegisterOutput::Written),
        (Input::Cas { .. }, Output::Swapped(b)) => Some(RegisterOutput::Swapped(b)),
        _ => None,
    }
}

fn counter_output(out: Output) -> Option<CounterOutput> {
    match out {
        Output::Value(v) => Some(CounterOutput::Value(v)),
        _ => None,
    }
}

impl Histories {
    /// Adds one record (`line` is its 1-based line number, for errors).
    pub fn push(&mut self, line: usize, record: Record) -> Result<(), RecordError> {
        let Record { process, key, input, invoke, complete, outcome: recorded } = record;
        let is_counter = input.is_counter();
        let clash = if is_counter { self.registers.key(&key).is_some() } else { self.counters.key(&key).is_some() };
        if clash {
            return Err(RecordError::MixedKey { line, key });
        }
        self.counts.entry(key.clone()).or_default().add(&recorded);
        self.lines.entry(key.clone()).or_default().push(line);
        let malformed = |source| RecordError::Malformed { line, source };
        if is_counter {
            let input_c = if input == Input::Incr { CounterInput::Add(1) } else { CounterInput::Get };
            let outcome = outcome(line, input, &recorded, counter_output)?;
            self.counters
                .push(key, Operation { process, invoke, complete, input: input_c, outcome })
                .map_err(malformed)?;
        } else {
            let outcome = outcome(line, input, &recorded, |out| register_output(input, out))?;
            let input_r = register_input(input);
            self.registers
                .push(key, Operation { process, invoke, complete, input: input_r, outcome })
                .map_err(malformed)?;
        }
        Ok(())
    }

    /// Parses a whole history file (blank lines are skipped).
    pub fn parse(text: &str) -> Result<Histories, RecordError> {
        let mut histories = Histories::default();
        for (i, raw) in text.lines().enumerate() {
            if raw.trim().is_empty() {
                continue;
            }
            let record = serde_json::from_str(raw).map_err(|source| RecordError::Parse { line: i + 1, source })?;
            histories.push(i + 1, record)?;
        }
        Ok(histories)
    }
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
