#!/usr/bin/env bash
# Load benchmark of the front ends a webhook goes through, side by side in one run, all
# forwarding to the same upstream (load-sink: answers 200 at once):
#   (a) nginx proxy_pass          - the floor: no parsing, no signature, no routing
#   (b) our edge-router           - signature check, every party of every item, split, delivery
#   (c) a Node.js tutorial edge   - JSON.parse, messages[0].from prefix, fetch (benches/baselines/edge-node)
# Bodies are pre-signed by `provider-sim write` (single messages, and 100-item mixed batches
# across the four regions); wrk POSTs them in turn (post.lua computes nothing per request).
# Reports requests/s, p50 and p99 latency (wrk --latency), each front end's peak RSS (VmHWM,
# reset before each workload), its CPU time per request and the upstream's (load-sink), and
# the 1-minute load average when the row started, as a markdown table; then the edge's p99
# at half its peak rate on single messages (wrk with a fixed delay per connection, so about
# half the requests/s), and the ratios to nginx and to Node.
#
#   benches/load/run.sh [--duration SECS] [--connections N] [--threads N] [--whole-path]
#
# --whole-path also measures the edge with real regional nodes (SQLite; and PostgreSQL when
# RESIDENCY_TEST_DATABASE_URL is set) instead of the sink. Needs the edge-router and
# regional-node binaries; without them (b) and the whole path are skipped with a message.
# Needs wrk, nginx and node (apt-get install -y wrk nginx nodejs).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

DURATION=10
CONNECTIONS=16
THREADS=1
WHOLE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --whole-path) WHOLE=1; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--duration SECS] [--connections N] [--threads N] [--whole-path]" >&2; exit 2 ;;
  esac
done

for tool in wrk nginx node python3 curl bc; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y wrk nginx nodejs)" >&2; exit 2; }
done

HAVE_EDGE=0
[ -f examples/src/bin/edge-router.rs ] && HAVE_EDGE=1
HAVE_NODE=0
[ -f examples/src/bin/regional-node.rs ] && HAVE_NODE=1

BINS=(--bin provider-sim --bin load-sink)
[ $HAVE_EDGE = 1 ] && BINS+=(--bin edge-router)
[ $HAVE_NODE = 1 ] && BINS+=(--bin regional-node)
echo "building (release): ${BINS[*]}" >&2
CARGO_INCREMENTAL=0 cargo build -q --release -p examples "${BINS[@]}"
BIN=$ROOT/target/release

WORK=$(mktemp -d /tmp/residency-load.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${PGDBS:-}" ] && for db in $PGDBS; do
    psql "$RESIDENCY_TEST_DATABASE_URL" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_health() { # URL
  for _ in $(seq 1 200); do
    curl -fsS -o /dev/null "$1/health" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "no answer from $1/health (logs: ${WORK:-}; kept)" >&2; KEEP=1; return 1
}
peak_rss_kb() { # PID...: the largest VmHWM among them
  local max=0 v
  for p in "$@"; do
    v=$(awk '/^VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
    [ "${v:-0}" -gt "$max" ] && max=$v
  done
  echo "$max"
}
reset_peak() { for p in "$@"; do echo 5 > "/proc/$p/clear_refs" 2>/dev/null || true; done; }
TICK=$(getconf CLK_TCK)
cpu_ticks() { # PID...: user + system ticks, summed (threads included)
  local sum=0 v
  for p in "$@"; do
    v=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}')
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}
load1() { cut -d' ' -f1 /proc/loadavg; }

export RESIDENCY_META_APP_SECRET=bench-app-secret
export RESIDENCY_WASENDER_SECRET=bench-wasender-secret
EDGE_KEY_HEX=$(python3 -c 'print("7"*64)')
ITEM_SECRET_HEX=$(python3 -c 'print("1"*64)')
PSEUDONYM_HEX=$(python3 -c 'print("2"*64)')
LOG_SIGNING_HEX=$(python3 -c 'print("3"*64)')

# The bodies: single messages, and 100-item mixed batches (both providers, every region).
"$BIN/provider-sim" write --out "$WORK/single" --count 400 --batch-min 1 --batch-max 1 --seed 1 >/dev/null
"$BIN/provider-sim" write --out "$WORK/batch100" --count 100 --batch-min 100 --batch-max 100 --seed 2 >/dev/null
# The single messages again with a wrong signature: the edge answers 401 after reading the
# body and checking its HMAC, before routing or any upstream request (its HTTP server's cost).
mkdir -p "$WORK/single-badsig"
awk -F'\t' 'BEGIN { OFS = "\t" } { $1 = "../single/" $1; $4 = "sha256=" sprintf("%064d", 0); print }' \
  "$WORK/single/manifest.tsv" > "$WORK/single-badsig/manifest.tsv"

# The upstream.
SINK_PORT=$(free_port)
"$BIN/load-sink" "127.0.0.1:$SINK_PORT" >/dev/null &
PIDS+=($!); SINK_PID=$!
SINK=http://127.0.0.1:$SINK_PORT

declare -A URL FE_PIDS
ORDER=()

# (a) nginx
NGINX_PORT=$(free_port)
sed -e "s|@PORT@|$NGINX_PORT|" -e "s|@SINK@|127.0.0.1:$SINK_PORT|" -e "s|@DIR@|$WORK|g" \
  benches/load/nginx.conf.in > "$WORK/nginx.conf"
nginx -c "$WORK/nginx.conf" -p "$WORK" 2>"$WORK/nginx.out" &
PIDS+=($!)
URL[nginx]=http://127.0.0.1:$NGINX_PORT
ORDER+=(nginx)

edge_toml() { # PORT, then a function printing the [regions.*] tables
  cat <<TOML
listen = "127.0.0.1:$1"
[meta]
app_secret = "$RESIDENCY_META_APP_SECRET"
verify_token = "bench-verify"
[wasender]
secret = "$RESIDENCY_WASENDER_SECRET"
[edge_key]
id = "k1"
secret = "$EDGE_KEY_HEX"
[delivery]
deadline_ms = 3000
TOML
}

# (b) our edge, every region pointing at the sink
if [ $HAVE_EDGE = 1 ]; then
  EDGE_PORT=$(free_port)
  { edge_toml "$EDGE_PORT"
    # One path per region: the edge refuses an endpoint listed under two regions.
    for r in EU LATAM INDIA US; do printf '[regions.%s]\nendpoints = ["%s/%s/ingest"]\n' "$r" "$SINK" "${r,,}"; done
  } > "$WORK/edge.toml"
  RUST_LOG=warn "$BIN/edge-router" --config "$WORK/edge.toml" >"$WORK/edge.log" 2>&1 &
  PIDS+=($!); FE_PIDS[edge-router]=$!
  URL[edge-router]=http://127.0.0.1:$EDGE_PORT
  ORDER+=(edge-router)
else
  echo "skipping (b) edge-router: examples/src/bin/edge-router.rs is not on this branch yet" >&2
fi

# (c) the Node.js tutorial edge
NODE_PORT=$(free_port)
PORT=$NODE_PORT UPSTREAM_EU=$SINK/ingest UPSTREAM_LATAM=$SINK/ingest UPSTREAM_INDIA=$SINK/ingest \
  UPSTREAM_US=$SINK/ingest node benches/baselines/edge-node/server.js &
PIDS+=($!); FE_PIDS[node]=$!
URL[node]=http://127.0.0.1:$NODE_PORT
ORDER+=(node)

wait_health "$SINK"
for fe in "${ORDER[@]}"; do wait_health "${URL[$fe]}"; done
# nginx's work is done by its worker processes.
FE_PIDS[nginx]="$(pgrep -P "$(cat "$WORK/nginx.pid")" | tr '\n' ' ')"

LAST_RPS=0
LAST_P99=?
run_wrk() { # NAME URL WORKLOAD PIDS... (wrk options in WRK_EXTRA, lua's delay in WRK_DELAY)
  local name=$1 url=$2 workload=$3; shift 3
  local load t0 s0 t1 s1
  load=$(load1)
  reset_peak "$@"
  t0=$(cpu_ticks "$@"); s0=$(cpu_ticks "$SINK_PID")
  # shellcheck disable=SC2086
  wrk -t"$THREADS" ${WRK_EXTRA:--c$CONNECTIONS} -d"${DURATION}s" --latency -s benches/load/post.lua \
    "$url" -- "$WORK/$workload" ${WRK_DELAY:-} >"$WORK/wrk.out" 2>"$WORK/wrk.err" || true
  t1=$(cpu_ticks "$@"); s1=$(cpu_ticks "$SINK_PID")
  local rps p50 p99 non200 rss n cpu sink
  rps=$(awk '/^Requests\/sec/ {print $2}' "$WORK/wrk.out")
  p50=$(awk '$1=="50%" {print $2}' "$WORK/wrk.out")
  p99=$(awk '$1=="99%" {print $2}' "$WORK/wrk.out")
  n=$(awk '/requests in/ {print $1}' "$WORK/wrk.out")
  non200=$(awk -F': ' '/non-200 answers/ {print $2}' "$WORK/wrk.err")
  rss=$(peak_rss_kb "$@")
  cpu=-; sink=-
  if [ "${n:-0}" -gt 0 ]; then
    cpu=$(echo "($t1 - $t0) * 1000000 / $TICK / $n" | bc)
    sink=$(echo "($s1 - $s0) * 1000000 / $TICK / $n" | bc)
  fi
  LAST_RPS=${rps:-0}; LAST_P99=${p99:-?}
  printf '| %s | %s | %s | %s | %s | %.1f MiB | %s µs | %s µs | %s | %s |\n' "$name" "$workload" \
    "${rps:-?}" "${p50:-?}" "${p99:-?}" "$(echo "$rss / 1024" | bc -l)" "$cpu" "$sink" \
    "${non200:-?}" "$load"
}

HEADER='| front end | bodies | requests/s | p50 | p99 | peak RSS | CPU/request | sink CPU/request | non-200 | load |
|---|---|---|---|---|---|---|---|---|---|'
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), shared by wrk, the front end and the sink (and by whatever else runs: see the load column, the 1-minute load average as the row started)"
echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency; upstream: load-sink (200 at once)"
echo
echo "$HEADER"
declare -A RPS
for workload in single batch100; do
  for fe in "${ORDER[@]}"; do
    # shellcheck disable=SC2086
    run_wrk "$fe" "${URL[$fe]}" "$workload" ${FE_PIDS[$fe]}
    RPS[$fe.$workload]=$LAST_RPS
  done
done
echo "| load-sink (upstream, whole run) | - | - | - | - | $(echo "$(peak_rss_kb "$SINK_PID") / 1024" | bc -l | xargs printf '%.1f') MiB | - | - | - | - |"

if [ $HAVE_EDGE = 1 ]; then
  # The edge at about half its peak on single messages: the same connections, each waiting
  # a fixed delay before each request (wrk's delay is in whole milliseconds, so the rate is
  # about connections / (delay + latency); the row reports what it reached). Many connections
  # with long delays instead fire in bursts and measure the bursts.
  half=$(echo "${RPS[edge-router.single]} / 2" | bc)
  if [ "${half:-0}" -gt 0 ]; then
    conns=$CONNECTIONS
    pause=$(( conns * 1000 / half ))
    [ "$pause" -lt 1 ] && pause=1
    WRK_EXTRA="-c$conns" WRK_DELAY=$pause \
      run_wrk "edge-router at half its peak ($half/s target; $conns connections, $pause ms apart)" \
      "${URL[edge-router]}" single ${FE_PIDS[edge-router]}
  fi
  # The same bodies with a wrong signature: the HTTP server, the body and the HMAC only.
  run_wrk "edge-router, wrong signature (401: no routing, no upstream)" "${URL[edge-router]}" \
    single-badsig ${FE_PIDS[edge-router]}
  echo
  for workload in single batch100; do
    printf 'edge-router / nginx on %s: %.2fx requests/s; edge-router / node: %.2fx\n' "$workload" \
      "$(echo "${RPS[edge-router.$workload]} / ${RPS[nginx.$workload]}" | bc -l)" \
      "$(echo "${RPS[edge-router.$workload]} / ${RPS[node.$workload]}" | bc -l)"
  done
fi

# The whole path: edge plus real regional nodes.
if [ $WHOLE = 1 ]; then
  if [ $HAVE_EDGE = 0 ] || [ $HAVE_NODE = 0 ]; then
    echo; echo "skipping the whole path: edge-router and regional-node are not both on this branch yet" >&2
    exit 0
  fi
  whole_path() { # LABEL DBKIND
    local label=$1 kind=$2 dir="$WORK/whole-$2" eport r name port db
    mkdir -p "$dir/data"
    local -a npids=()
    local regions_toml=""
    for spec in eu-1:EU eu-2:EU latam-1:LATAM india-1:INDIA us-1:US; do
      name=${spec%%:*}; r=${spec##*:}; port=$(free_port)
      if [ "$kind" = sqlite ]; then
        db="sqlite://data/${r,,}.db"
      else
        db="residency_load_$$_${r,,}"
        if ! grep -qw "$db" <<<"${PGDBS:-}"; then
          psql "$RESIDENCY_TEST_DATABASE_URL" -q -c "CREATE DATABASE $db" >/dev/null
          PGDBS="${PGDBS:-} $db"
        fi
        db="${RESIDENCY_TEST_DATABASE_URL%/*}/$db"
      fi
      cat >"$dir/$name.toml" <<TOML
listen = "127.0.0.1:$port"
region = "$r"
database = "$db"
archive = "file://data/${r,,}-archive"
admin_token = "bench-admin-token-0123456789"
[keys]
item_secret = "$ITEM_SECRET_HEX"
pseudonym = "$PSEUDONYM_HEX"
log_signing = "$LOG_SIGNING_HEX"
[meta]
app_secret = "$RESIDENCY_META_APP_SECRET"
[wasender]
secret = "$RESIDENCY_WASENDER_SECRET"
[edge_keys]
k1 = "$EDGE_KEY_HEX"
TOML
      (cd "$dir" && exec env RUST_LOG=warn "$BIN/regional-node" --config "$name.toml" >"$name.log" 2>&1) &
      PIDS+=($!); npids+=($!)
      wait_health "http://127.0.0.1:$port"
      regions_toml+="$r http://127.0.0.1:$port/ingest"$'\n'
    done
    eport=$(free_port)
    { edge_toml "$eport"
      for r in EU LATAM INDIA US; do
        printf '[regions.%s]\nendpoints = [%s]\n' "$r" \
          "$(awk -v r="$r" '$1==r {printf "%s\"%s\"", (n++ ? ", " : ""), $2}' <<<"$regions_toml")"
      done
    } >"$dir/edge.toml"
    (cd "$dir" && exec env RUST_LOG=warn "$BIN/edge-router" --config edge.toml >edge.log 2>&1) &
    local epid=$!
    PIDS+=($epid)
    wait_health "http://127.0.0.1:$eport"
    for workload in single batch100; do
      run_wrk "edge + nodes ($label)" "http://127.0.0.1:$eport" "$workload" "$epid" "${npids[@]}"
    done
    kill "$epid" "${npids[@]}" 2>/dev/null || true
  }
  echo
  echo "Whole path (the same bodies repeat: after the first pass the nodes take redeliveries, absorbed by their idempotency keys)"
  echo
  echo "$HEADER"
  whole_path SQLite sqlite
  if [ -n "${RESIDENCY_TEST_DATABASE_URL:-}" ]; then
    whole_path PostgreSQL postgres
  else
    echo "(PostgreSQL skipped: RESIDENCY_TEST_DATABASE_URL is not set)" >&2
  fi
fi
