#!/usr/bin/env bash
# Instructions per operation of each workload (benches/src/bin/workload.rs), counted by
# `valgrind --tool=callgrind`: unlike time, the count does not drift with machine load.
#
#   benches/instructions.sh [WORKLOAD...]      (all workloads when none is given)
#
# Each workload runs at two iteration counts; (I(2n) - I(n)) / n is the cost of one operation
# without the setup. Built with the bench profile (LTO, one codegen unit), as criterion's.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is required (apt-get install valgrind)" >&2; exit 2; }
cargo build -q --profile bench -p benches --bin workload
bin=target/release/workload
[ -x "$bin" ] || bin=$(ls -t target/*/workload | head -n 1)
all="route-text route-status route-batch-1000 route-mixed-100 parse-text country-attribute country-lookup"
workloads=${*:-$all}

count() { # workload iterations -> instructions
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" 2>&1 >/dev/null \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

printf '%-18s %14s  %s\n' workload instructions per
for w in $workloads; do
  case $w in
    country-*) n=2; per="number"; unit=10000 ;;
    route-batch-1000) n=20; per="body (1,000 items)"; unit=1 ;;
    route-mixed-100) n=50; per="body (100 items)"; unit=1 ;;
    *) n=2000; per="body"; unit=1 ;;
  esac
  a=$(count "$w" "$n")
  b=$(count "$w" $((2 * n)))
  printf '%-18s %14s  %s\n' "$w" "$(( (b - a) / (n * unit) ))" "$per"
done
