#!/usr/bin/env bash
# Load runs of the two hot requests: the authenticated GET /v1/resources/{id}
# and POST /v1/resources with a new Idempotency-Key each. For each, wrk's peak
# (rps, p50, p99), then bench/load at half that rate on a fixed schedule (p50,
# p99 counted from when each request was due), and, on one instance, a CPU
# profile of the server taken during the peak run (go tool pprof -top).
#
# Stores: a new SQLite file; with DOCSAPI_TEST_POSTGRES_URL and
# DOCSAPI_TEST_REDIS_URL also a new PostgreSQL database (created here, dropped
# at the end) + Redis, first with one instance, then three with the load spread
# over them. As in ../shared/bench/ratio.sh, servers run on core 1 and the load
# on core 0.
#
# Usage: bench/run.sh (from anywhere); D=seconds per run (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
D=${D:-5}
P=$((D < 5 ? D : 5)) # profile seconds: within the run
command -v wrk >/dev/null || ./scripts/deps bench
command -v wrk >/dev/null || { echo "bench: wrk missing (apt-get install wrk)" >&2; exit 1; }

tmp=$(mktemp -d)
pgdb=""
servers=()
cleanup() {
	stop
	kill $(jobs -p) 2>/dev/null || true
	wait 2>/dev/null || true
	if [ -n "$pgdb" ]; then
		psql -q "$DOCSAPI_TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o bin/docsapi ./cmd/docsapi
go build -o "$tmp/load" ./bench/load
root="sk_live_$(head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)"

# start NAME DATABASE_URL REDIS_URL: starts a server on free ports and, once
# it listens, sets addr and prof (its pprof address).
start() {
	DOCSAPI_ADDR=127.0.0.1:0 DOCSAPI_PPROF_ADDR=127.0.0.1:0 DOCSAPI_DATABASE_URL="$2" DOCSAPI_REDIS_URL="$3" \
		DOCSAPI_ROOT_KEY=$root taskset -c 1 bin/docsapi serve >/dev/null 2>"$tmp/$1.log" &
	servers+=($!)
	addr=""
	for _ in $(seq 100); do
		addr=$(sed -n 's/.*"msg":"listening","addr":"\([^"]*\)".*/\1/p' "$tmp/$1.log")
		[ -n "$addr" ] && break
		sleep 0.1
	done
	[ -n "$addr" ] || { echo "bench: $1 did not start:" >&2; cat "$tmp/$1.log" >&2; exit 1; }
	prof=$(sed -n 's/.*"msg":"pprof listening","addr":"\([^"]*\)".*/\1/p' "$tmp/$1.log")
}

# stop: stops the servers started so far and waits for them to exit.
stop() {
	[ ${#servers[@]} -gt 0 ] || return 0
	kill "${servers[@]}" 2>/dev/null || true
	wait "${servers[@]}" 2>/dev/null || true
	servers=()
}

json() { python3 -c "import json,sys;print(json.load(sys.stdin)[\"$1\"])"; }

# setup ADDR: a key of the first account with a rate limit far above the load
# (as ratio.sh makes it), and one resource to read; sets key and rid.
setup() {
	key=$(curl -sf -H "Authorization: Bearer $root" -H 'Content-Type: application/json' \
		-d '{"name":"bench","scopes":["*"],"rate_limit":100000}' "http://$1/v1/api_keys" | json secret)
	rid=$(curl -sf -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
		-d '{"name":"Quarterly report","metadata":{"team":"finance"}}' "http://$1/v1/resources" | json id)
}

# postlua NAME: a wrk script sending POSTs, each with an Idempotency-Key that
# no other wrk of this run sends.
postlua() {
	cat >"$tmp/$1.lua" <<EOF
-- wrk.format replaces wrk.headers when given a table, so every header is set here.
local n = 0
local body = '{"name":"Quarterly report","metadata":{"team":"finance"}}'
request = function()
  n = n + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["Authorization"] = "Bearer $key",
    ["Idempotency-Key"] = string.format("bench-$1-$$-%d", n)}, body)
end
EOF
	echo "$tmp/$1.lua"
}

# wrkrun C URL [ARGS]: one wrk run; prints "rps=R p50=X p99=Y non2xx=N".
wrkrun() {
	local c=$1 url=$2
	shift 2
	{ taskset -c 0 timeout $((D + 30)) wrk -t1 -c"$c" -d"${D}s" --latency "$@" "$url" 2>&1 || true; } | awk '
		/^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Requests\/sec/ {rps=$2} /Non-2xx/ {bad=$NF}
		END {printf "rps=%.0f p50=%s p99=%s non2xx=%d\n", rps, p50, p99, bad}'
}

# halfrate OP PEAK URLS: bench/load at half of PEAK rps.
halfrate() {
	local rate=$(($2 / 2))
	[ "$rate" -gt 0 ] || { echo "no peak, no half-rate run"; return; }
	taskset -c 0 timeout $((D + 30)) "$tmp/load" -url "$3" -key "$key" -op "$1" -c 32 -d "${D}s" -rate "$rate" |
		sed 's/ p90=[^ ]*//'
}

# profile NAME PPROF_ADDR: in the background, a CPU profile of P seconds;
# sets profiling to the pid to wait for.
profile() {
	curl -sf -o "$tmp/$1.prof" "http://$2/debug/pprof/profile?seconds=$P" &
	profiling=$!
}

showprofile() {
	echo "--- pprof -top of $1 ($P s during the peak run)"
	go tool pprof -top -nodecount=25 bin/docsapi "$tmp/$1.prof" 2>/dev/null || echo "(no profile)"
}

# single NAME DATABASE_URL REDIS_URL: the runs against one instance.
single() {
	start "$1" "$2" "$3"
	setup "$addr"
	echo "=== $1, one instance (D=${D}s, wrk -t1 -c32; load average $(cut -d' ' -f1-3 /proc/loadavg))"
	profile "$1-get" "$prof"
	local get
	get=$(wrkrun 32 "http://$addr/v1/resources/$rid" -H "Authorization: Bearer $key")
	wait $profiling || true
	echo "GET  peak: $get"
	echo "GET  half: $(halfrate get "$(echo "$get" | sed 's/rps=\([0-9]*\).*/\1/')" "http://$addr")"
	profile "$1-post" "$prof"
	local post
	post=$(wrkrun 32 "http://$addr/v1/resources" -s "$(postlua "$1")")
	wait $profiling || true
	echo "POST peak: $post"
	echo "POST half: $(halfrate create-idem "$(echo "$post" | sed 's/rps=\([0-9]*\).*/\1/')" "http://$addr")"
	showprofile "$1-get"
	showprofile "$1-post"
	stop
}

single sqlite "$tmp/sqlite.db" ""

if [ -z "${DOCSAPI_TEST_POSTGRES_URL:-}" ] || [ -z "${DOCSAPI_TEST_REDIS_URL:-}" ]; then
	echo "=== postgres+redis: skipped (set DOCSAPI_TEST_POSTGRES_URL and DOCSAPI_TEST_REDIS_URL)"
	exit 0
fi
pgdb="docsapi_bench_$$_$(date +%s)"
psql -q "$DOCSAPI_TEST_POSTGRES_URL" -c "CREATE DATABASE $pgdb" >/dev/null
pgurl=$(python3 -c 'import sys,urllib.parse as u;p=u.urlsplit(sys.argv[1]);print(p._replace(path="/"+sys.argv[2]).geturl())' \
	"$DOCSAPI_TEST_POSTGRES_URL" "$pgdb")
single postgres "$pgurl" "$DOCSAPI_TEST_REDIS_URL"

# Three instances on the same database and Redis; each gets a third of the
# connections, so the total load is that of one instance above.
addrs=()
for i in 1 2 3; do
	start "pg$i" "$pgurl" "$DOCSAPI_TEST_REDIS_URL"
	addrs+=("$addr")
done
setup "${addrs[0]}"
for i in 1 2 3; do postlua "pg$i" >/dev/null; done
urls=$(printf 'http://%s,' "${addrs[@]}")
echo "=== postgres+redis, three instances (D=${D}s, three wrk -t1 -c11 at once, one per instance; load average $(cut -d' ' -f1-3 /proc/loadavg))"
# spread OP: the peak with one wrk per instance at once, then the half rate
# spread by bench/load over the three.
spread() {
	local pids=() i
	for i in 1 2 3; do
		if [ "$1" = get ]; then
			wrkrun 11 "http://${addrs[i - 1]}/v1/resources/$rid" -H "Authorization: Bearer $key" >"$tmp/$1$i.out" &
		else
			wrkrun 11 "http://${addrs[i - 1]}/v1/resources" -s "$tmp/pg$i.lua" >"$tmp/$1$i.out" &
		fi
		pids+=($!)
	done
	wait "${pids[@]}"
	local label total
	label=$(printf '%-4s' "${1^^}")
	label=${label/CREATE-IDEM/POST}
	for i in 1 2 3; do echo "$label peak, instance $i: $(cat "$tmp/$1$i.out")"; done
	total=$(cat "$tmp/$1"?.out | awk -F'[= ]' '{s+=$2} END {print s+0}')
	echo "$label peak, total: rps=$total"
	echo "$label half: $(halfrate "$1" "$total" "${urls%,}")"
}
spread get
spread create-idem
