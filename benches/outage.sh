#!/usr/bin/env bash
# The full outage run: the real edge-router and regional-node binaries on loopback, the
# provider simulator at 40 POSTs/s with batches of up to 1,000 items, and every fault
# (EU primary SIGKILLed and restarted, both EU nodes down, a flapping node, the edge killed
# and restarted) repeated four times; then the stores are checked against the record.
# SQLite always; PostgreSQL too when RESIDENCY_TEST_DATABASE_URL is set, e.g.
#   RESIDENCY_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres benches/outage.sh
# Release binaries (the traffic is about 5,000 items/s). The short version (under 2
# minutes, debug binaries) is the test itself:
#   cargo test -p examples --features e2e --test outage
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
# Each run prints its figures ("outage figures (SQLite): ... POSTs, items sent, rows stored,
# duplicates absorbed, failovers, answered 503 ..."); the machine's load goes with them.
echo "$(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo build -q --release -p examples --features e2e --tests --bins
started=$(date +%s)
status=0
RESIDENCY_OUTAGE_FULL=1 cargo test -q --release -p examples --features e2e --test outage -- --nocapture --test-threads=1 "$@" || status=$?
echo "full outage run: $(( $(date +%s) - started )) s, load after: $(cut -d' ' -f1-3 /proc/loadavg), exit $status"
exit $status
