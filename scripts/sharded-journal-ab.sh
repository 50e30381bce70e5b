#!/usr/bin/env bash
# The sharded engine's write path with its journal (each member with --data-dir: every write
# fsynced before it is answered) vs the in-memory mode (no --data-dir: nothing journaled, lost on
# restart): scripts/ab.sh with the same release binary on both sides, A journaled and B in
# memory; 16 clients, 5 s runs after 1 s of warm-up, interleaved, 2 rounds. Stops what it
# started. Usage: scripts/sharded-journal-ab.sh (after `cargo build --release -p coterie-cli`).
set -euo pipefail
A_DATA=yes B_DATA=no exec "$(dirname "$0")/ab.sh" "$@"
