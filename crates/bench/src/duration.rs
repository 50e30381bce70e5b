//! Durations as the command lines write them (`10s`, `500ms`, `2m`).
//!
//! A leaf: both [`args`](crate::args) and [`failover`](crate::failover) parse their flags
//! with it, so neither has to import the other.

use std::time::Duration;

/// Parses `10s`, `250ms`, `2m`, `1.5s` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| c.is_ascii_alphabetic()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: f64 =
        number.trim().parse().map_err(|_| format!("{text:?} is not a duration: write for example 10s, 500ms or 2m"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        other => return Err(format!("unknown unit {other:?} in {text:?}: use ms, s or m")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("{text:?} is not a duration that can be waited"))
}
