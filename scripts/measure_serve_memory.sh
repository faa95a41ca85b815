#!/usr/bin/env bash
# Resident memory of `impasto serve` and one separate `impasto worker` over many tiny jobs (issue 14: the server's
# and a worker's memory must stay flat over 1,000 jobs; rembg's server is known for growing until it is killed).
#
#   scripts/measure_serve_memory.sh [JOBS] [IMPASTO] [DATABASE]
#     JOBS      how many jobs (default 1000); RSS is sampled before the first and after every 100th has finished
#     IMPASTO   the binary (default .build/release/impasto, else .build/debug/impasto)
#     DATABASE  --database for both processes (default: the SQLite file in a fresh DATA folder)
#
# Each job is as small as works: apply with the bundled "starry" network at 32 px (the API takes 16 px, but a 3:2
# photo is then 16×11, which the network refuses), with its installed weights (`impasto models fetch` or
# scripts/fetch-test-weights.sh). One free-tier user submits them through the JSON API
# with curl; the tier's quota (2 queued or running) answers 429 and the script tries again 20 ms later, so the
# server also answers a steady stream of refused requests. Prints one line per sample: jobs done, then the server's
# and the worker's VmRSS and VmHWM (peak) in MiB.
set -euo pipefail
jobs=${1:-1000}
bin=${2:-}
if [ -z "$bin" ]; then
    if [ -x .build/release/impasto ]; then bin=.build/release/impasto; else bin=.build/debug/impasto; fi
fi
database=()
if [ -n "${3:-}" ]; then database=(--database "$3"); fi
for tool in curl awk; do
    command -v $tool >/dev/null || { echo "$tool is needed." >&2; exit 3; }
done

dir=$(mktemp -d /tmp/impasto-memory-XXXXXX)
server='' worker=''
cleanup() {
    for pid in $worker $server; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
echo "$bin ($(date -r "$bin" '+%F %T'))${3:+ on $3}"

"$bin" serve --data "$dir/data" "${database[@]}" --port 0 --workers 0 2>"$dir/serve.log" &
server=$!
for _ in $(seq 1 600); do
    grep -q "Serving on" "$dir/serve.log" 2>/dev/null && break
    kill -0 "$server" 2>/dev/null || { cat "$dir/serve.log" >&2; exit 1; }
    sleep 0.1
done
url=$(grep -o 'http://[^ ]*' "$dir/serve.log" | head -n 1)
[ -n "$url" ] || { echo "The server did not start: $(cat "$dir/serve.log")" >&2; exit 1; }
"$bin" worker --data "$dir/data" "${database[@]}" --poll 0.05 2>"$dir/worker.log" &
worker=$!

jar=$dir/cookies
api() { curl -s -b "$jar" -c "$jar" -o "$dir/response" -w '%{http_code}' "$@"; }
[ "$(api -H 'content-type: application/json' -d '{"name":"memory","password":"correct horse"}' "$url/api/users")" = 201 ] \
    || { echo "Registering failed: $(cat "$dir/response")" >&2; exit 1; }
[ "$(api --data-binary @Examples/images/shipwreck.jpg "$url/api/uploads")" = 201 ] \
    || { echo "The upload failed: $(cat "$dir/response")" >&2; exit 1; }
photo=$(grep -o '"id":"[0-9a-f]*"' "$dir/response" | cut -d'"' -f4)
body="{\"kind\":\"apply\",\"content\":\"$photo\",\"model\":\"starry\",\"size\":32}"

rss() { awk '/^VmRSS|^VmHWM/ { printf "%s %.1f ", $1, $2 / 1024 }' "/proc/$1/status"; }
sample() { echo "$1 jobs  server: $(rss "$server")  worker: $(rss "$worker")"; }

# Waits until the job is no longer queued or running; stops the script when it did not end done.
wait_done() {
    while true; do
        api "$url/api/jobs/$1" >/dev/null
        if grep -q '"state":"done"' "$dir/response"; then return; fi
        if grep -q '"state":"\(failed\|cancelled\)"' "$dir/response"; then
            echo "Job $1 did not finish: $(cat "$dir/response")" >&2; exit 1
        fi
        sleep 0.05
    done
}

sample 0
started=$(date +%s)
for i in $(seq 1 "$jobs"); do
    while true; do
        code=$(api -H 'content-type: application/json' -d "$body" "$url/api/jobs")
        [ "$code" = 201 ] && break
        [ "$code" = 429 ] || { echo "Job $i: HTTP $code: $(cat "$dir/response")" >&2; exit 1; }
        sleep 0.02
    done
    last=$(grep -o '"id":"[0-9a-f]*"' "$dir/response" | head -n 1 | cut -d'"' -f4)
    if [ $((i % 100)) -eq 0 ] || [ "$i" -eq "$jobs" ]; then
        wait_done "$last"
        sample "$i"
    fi
done
echo "$jobs jobs in $(( $(date +%s) - started )) s"
