#!/usr/bin/env bash
# Compares the throughput of two builds of the server on this noisy machine:
# both run at once, each on its own new SQLite file, and wrk alternates
# between them (A then B, then B then A, ...), so that a slow spell of the
# machine hits both. Prints each pair's rps and the ratio B/A, then the
# median ratio: what a change is worth, where two separate runs differ by
# more than most changes do.
#
# Ops: get (one resource, as ratio.sh does); post (a new Idempotency-Key
# each, from wrk's unseeded math.random like ratio.sh: from the second pair
# on most keys repeat those of earlier rounds and are replays); create (the
# same with a seeded random: every key new, every request a create).
#
# Usage: bench/compare.sh OP PAIRS BIN_A BIN_B   (D=seconds per run, default 4)
#   git stash; go build -o /tmp/a ./cmd/docsapi; git stash pop
#   go build -o /tmp/b ./cmd/docsapi; bench/compare.sh create 6 /tmp/a /tmp/b
set -euo pipefail
[ $# -eq 4 ] || { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
op=$1 pairs=$2 D=${D:-4}
case $op in get | post | create) ;; *) echo "compare: unknown op $op" >&2; exit 2 ;; esac
bins=("$(realpath "$3")" "$(realpath "$4")")
ports=(18971 18972)
command -v wrk >/dev/null || "$(dirname "$0")/../scripts/deps" bench
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT

# start I: server I on core 1 with a key (no rate limit in the way), a
# resource to read and the wrk script for writes.
start() {
	local i=$1 port=${ports[$1]} root key
	root="sk_live_$(head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)"
	mkdir "$tmp/$i"
	DOCSAPI_ADDR=127.0.0.1:$port DOCSAPI_DATABASE_URL="$tmp/$i/db" DOCSAPI_ROOT_KEY=$root \
		taskset -c 1 "${bins[$i]}" serve 2>"$tmp/$i/log" &
	for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
	key=$(curl -sf -H "Authorization: Bearer $root" -H 'Content-Type: application/json' \
		-d '{"name":"bench","scopes":["*"],"rate_limit":100000}' "http://127.0.0.1:$port/v1/api_keys" |
		python3 -c 'import json,sys;print(json.load(sys.stdin)["secret"])')
	echo "$key" >"$tmp/$i/key"
	curl -sf -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
		-d '{"name":"Quarterly report","metadata":{"team":"finance"}}' "http://127.0.0.1:$port/v1/resources" |
		python3 -c 'import json,sys;print(json.load(sys.stdin)["id"])' >"$tmp/$i/rid"
	{
		[ "$op" = create ] && echo 'math.randomseed(os.time() + os.clock() * 1000000)'
		cat <<EOL
local n = 0
local body = '{"name":"Quarterly report","metadata":{"team":"finance"}}'
request = function()
  n = n + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["Authorization"] = "Bearer $key",
    ["Idempotency-Key"] = string.format("bench-%d-%d", math.random(1, 1000000000), n)}, body)
end
EOL
	} >"$tmp/$i/post.lua"
}

# run I: one wrk run against server I on core 0; its rps, 0 if any answer
# was not a 2xx.
run() {
	local i=$1 url="http://127.0.0.1:${ports[$1]}/v1/resources"
	if [ "$op" = get ]; then
		taskset -c 0 wrk -t1 -c32 -d"${D}s" -H "Authorization: Bearer $(cat "$tmp/$i/key")" "$url/$(cat "$tmp/$i/rid")"
	else
		taskset -c 0 wrk -t1 -c32 -d"${D}s" -s "$tmp/$i/post.lua" "$url"
	fi | awk '/Non-2xx/ {bad=1} /Requests\/sec/ {r=$2} END {print bad ? 0 : r}'
}

start 0
start 1
ratios=()
for p in $(seq "$pairs"); do
	if [ $((p % 2)) = 1 ]; then a=$(run 0); b=$(run 1); else b=$(run 1); a=$(run 0); fi
	r=$(python3 -c "print(f'{$b / $a:.3f}' if $a else 'nan')")
	ratios+=("$r")
	echo "pair $p: A $a rps, B $b rps, B/A $r"
done
python3 -c 'import statistics, sys; print(f"{sys.argv[1]}: median B/A {statistics.median(float(x) for x in sys.argv[2:]):.3f} over {len(sys.argv) - 2} pairs")' "$op" "${ratios[@]}"
