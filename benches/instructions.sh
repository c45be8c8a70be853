#!/usr/bin/env bash
# Instructions per operation of each workload (benches/src/bin/workload.rs), counted by
# `valgrind --tool=callgrind`: unlike time, the count does not drift with machine load.
#
#   benches/instructions.sh [WORKLOAD...]      (all workloads when none is given)
#
# Each workload runs at two iteration counts; (I(2n) - I(n)) / n is the cost of one operation
# without the setup. Printed per operation, per unit (a routed message, a number) and, for
# the routing workloads, per byte of body. The `validate-*` workloads are the validation
# floors of the same bodies (UTF-8 and our lexer; `serde-validate-*`: serde_json's
# `IgnoredAny`), see benches/src/floor.rs. Built with the bench profile (LTO, one codegen
# unit), as criterion's.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is required (apt-get install valgrind)" >&2; exit 2; }
cargo build -q --profile bench -p benches --bin workload
bin=target/release/workload
[ -x "$bin" ] || bin=$(ls -t target/*/workload | head -n 1)
all="route-text baseline-route-text route-status baseline-route-status
route-batch-1000 baseline-route-batch-1000 route-mixed-100 baseline-route-mixed-100
route-3mb baseline-route-3mb validate-route-text validate-route-status
validate-route-batch-1000 validate-route-mixed-100 validate-route-3mb
serde-validate-route-text serde-validate-route-batch-1000 parse-text country-attribute
country-lookup baseline-country-rlibphonenumber"
workloads=${*:-$all}

count() { # workload iterations -> instructions
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" 2>&1 >/dev/null \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

printf '%-26s %12s %-10s %12s %-8s %10s\n' workload "instr/op" op "instr/unit" unit "instr/byte"
for w in $workloads; do
  # n: iterations; units: messages or numbers per operation; bytes: body size (0: none).
  bytes=0
  case $w in
    country-*|baseline-country-*) n=2; op="10k nums"; units=10000; unit="number" ;;
    *route-batch-1000) n=10; op="body"; units=1000; unit="message" ;;
    *route-mixed-100) n=20; op="body"; units=100; unit="message" ;;
    *route-3mb) n=2; op="body"; units=1000; unit="message" ;;
    baseline-*) n=500; op="body"; units=1; unit="message" ;;
    *) n=2000; op="body"; units=1; unit="message" ;;
  esac
  case $w in
    *route-*) bytes=$("$bin" "$w" 0 --bytes) ;;
  esac
  a=$(count "$w" "$n")
  b=$(count "$w" $((2 * n)))
  per_op=$(( (b - a) / n ))
  per_byte="-"
  [ "$bytes" -gt 0 ] && per_byte=$(awk -v i="$per_op" -v b="$bytes" 'BEGIN { printf "%.2f", i / b }')
  printf '%-26s %12s %-10s %12s %-8s %10s\n' "$w" "$per_op" "$op" "$(( per_op / units ))" "$unit" "$per_byte"
done
