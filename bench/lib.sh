# Shared by bench/http and bench/orders (sourced, not run): a Release build, a private
# PostgreSQL with the demo shop, a `freshlane serve` with one I/O thread, and the helpers that
# read wrk's figures and a process's resident size. Everything lives in one temporary folder
# that is removed, with every process started here, when the script exits.

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

bench_seconds=${FRESHLANE_BENCH_SECONDS:-10}
build_dir=${FRESHLANE_BENCH_BUILD_DIR:-build-release}
work=$(mktemp -d /tmp/freshlane-bench.XXXXXX)
chmod 755 "$work"
server_pid=""
pids_to_stop=()

bench_cleanup() {
  local p
  for p in "${pids_to_stop[@]}" $server_pid; do kill "$p" 2>/dev/null || true; done
  for p in "${pids_to_stop[@]}" $server_pid; do wait "$p" 2>/dev/null || true; done
  bash "$root/scripts/pg" stop "$work/pg" || true
  rm -rf "$work"
}
trap bench_cleanup EXIT

say() { printf '%s\n' "$*" >&2; }

# Installs the load tools, builds Release, starts PostgreSQL, migrates and seeds the demo shop.
bench_prepare() {
  bash scripts/install-deps --bench
  say "building Release freshlane in $build_dir ..."
  FRESHLANE_BUILD_DIR=$build_dir FRESHLANE_BUILD_TYPE=Release FRESHLANE_BUILD_TESTS=ON \
    bash scripts/build freshlane hold_connections paired_reads >/dev/null
  mkdir -p "$work/pg"
  chmod 755 "$work/pg"
  local admin_url
  admin_url=$(FRESHLANE_PG_PORT_FROM=${FRESHLANE_PG_PORT_FROM:-27432} bash scripts/pg start "$work/pg")
  pg_admin_url=$admin_url
  psql "$admin_url" -qc "CREATE DATABASE freshlane"
  export FRESHLANE_DATABASE_URL="${admin_url%/postgres}/freshlane"
  export FRESHLANE_ADMIN_TOKEN=admin-bench-$RANDOM$RANDOM
  export FRESHLANE_QR_SECRET=qr-bench-$RANDOM$RANDOM
  export FRESHLANE_PAYMENT_WEBHOOK_SECRET=webhook-bench-$RANDOM$RANDOM
  # The load comes from one address and a few customers: the abuse limits (per address, per
  # customer, what one customer may hold unpaid) would answer most of it instead of measuring it.
  export FRESHLANE_RATE_SIGNUPS_PER_MINUTE=0 FRESHLANE_RATE_FAILED_AUTH_PER_MINUTE=0 \
    FRESHLANE_RATE_QUOTES_PER_MINUTE=0 FRESHLANE_RATE_ORDERS_PER_MINUTE=0 \
    FRESHLANE_MAX_HELD_UNITS=1000000 FRESHLANE_MAX_HELD_VALUE_MINOR=1000000000000
  "$build_dir/freshlane" migrate >/dev/null
  "$build_dir/freshlane" seed-demo >"$work/seed.txt"
}

# Starts `freshlane serve` with one I/O thread (extra FRESHLANE_* settings may be exported
# first) and waits until /readyz answers 200. Sets server_pid and base_url.
bench_start_server() {
  local port
  port=$(bash scripts/free-port "${1:-18080}")
  FRESHLANE_THREADS=1 FRESHLANE_LISTEN=127.0.0.1:$port \
    "$build_dir/freshlane" serve >"$work/server-$port.log" 2>&1 &
  server_pid=$!
  pids_to_stop+=("$server_pid")
  base_url=http://127.0.0.1:$port
  local i
  for i in $(seq 1 100); do
    if curl -fs -o /dev/null "$base_url/readyz"; then return 0; fi
    sleep 0.1
  done
  say "freshlane did not become ready:"
  tail -n 20 "$work/server-$port.log" >&2
  exit 1
}

# Stops a server started by bench_start_server (SIGTERM, waits).
bench_stop_server() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# Resident size of a process in MiB, one decimal.
rss_mib() {
  awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}

# The machine, for the report.
machine() {
  local cpu
  cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  printf '%s, %s cores, %s GiB RAM, %s' "$cpu" "$(nproc)" \
    "$(awk '/^MemTotal:/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)" \
    "$(. /etc/os-release && echo "$PRETTY_NAME")"
}

# wrk_run NAME URL [wrk options...]: runs wrk with --latency and sets NAME_rps, NAME_p50 and
# NAME_p99 (milliseconds). Fails when any answer was not 2xx or a socket error happened.
wrk_run() {
  local name=$1 url=$2
  shift 2
  local out="$work/wrk-$name.txt"
  wrk --latency "$@" "$url" >"$out"
  if grep -q "Non-2xx or 3xx responses" "$out" || grep -q "Socket errors" "$out"; then
    say "wrk against $url saw errors:"
    cat "$out" >&2
    exit 1
  fi
  local rps p50 p99
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
  p50=$(awk '$1 == "50%" { print $2 }' "$out" | to_ms)
  p99=$(awk '$1 == "99%" { print $2 }' "$out" | to_ms)
  printf -v "${name}_rps" '%s' "$rps"
  printf -v "${name}_p50" '%s' "$p50"
  printf -v "${name}_p99" '%s' "$p99"
}

# wrk prints "812.00us", "1.23ms" or "1.02s".
to_ms() {
  awk '{ v = $1; n = v + 0;
         if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000;
         printf "%.2f", n }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
