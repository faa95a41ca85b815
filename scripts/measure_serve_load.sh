#!/usr/bin/env bash
# Load on loopback (issue 14): `impasto serve` with 1,000 jobs in its database, wrk on the public feed and on one job's
# status endpoint (30 s each, 2 threads, 32 connections), then 50 uploads at once. Prints requests/s and p99 latency
# of each endpoint, every upload's status code and the wall time of the 50.
#
# One job is created through the API (POST /api/jobs of one user, on two uploads) and copied to 1,000 rows in the
# SQLite file (python3's sqlite3: the tier's quota of queued jobs refuses a user's third through the API); then 500
# of them are marked done and public, as if a worker had run them, so the feed has a full page and the status
# endpoint counts the queue ahead of a job among 500 queued ones. The server runs without
# in-process workers and without rate limits (--no-rate-limits: the limits would answer most of wrk's requests
# with 429). The uploads come from 10 users, 5 each (one user may upload 30 a minute), each the 400 kB tubingen.jpg.
# Needs Debian's wrk (`apt-get install wrk`).
#   scripts/measure_serve_load.sh [IMPASTO_BINARY]          (default: .build/release/impasto)
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:-.build/release/impasto}"
[ -x "$binary" ] || { echo "No impasto binary at $binary; run swift build -c release --product impasto first." >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk." >&2; exit 1; }
seconds="${LOAD_SECONDS:-30}"

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
"$binary" serve --data "$work/data" --port "$port" --workers 0 --no-rate-limits 2>"$work/serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
    curl -sf "$base/api/feed" >/dev/null && break
    kill -0 $server 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
    sleep 0.2
done

export BASE="$base" DATA="$work/data"
python3 - <<'PY'
import json, os, sqlite3, time, urllib.request
base = os.environ["BASE"]

def call(method, path, body=None, token=None, content_type="application/json"):
    request = urllib.request.Request(base + path, data=body, method=method)
    if body is not None:
        request.add_header("content-type", content_type)
    if token:
        request.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(request) as response:
        return json.load(response)

cookie_opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
request = urllib.request.Request(base + "/api/users", data=json.dumps({"name": "load", "password": "correct horse"}).encode(),
                                 headers={"content-type": "application/json"}, method="POST")
cookie_opener.open(request).read()
token = json.load(cookie_opener.open(urllib.request.Request(base + "/api/tokens", method="POST")))["token"]
photo = call("POST", "/api/uploads", open("Examples/images/chelsea.png", "rb").read(), token, "image/png")["id"]
style = call("POST", "/api/uploads", open("Examples/images/starry_night.jpg", "rb").read(), token, "image/jpeg")["id"]
first = call("POST", "/api/jobs", json.dumps({"kind": "stylize", "content": photo, "style": style, "size": 64,
                                              "iterations": 5, "public": True}).encode(), token)["id"]
database = sqlite3.connect(os.path.join(os.environ["DATA"], "impasto.sqlite"), timeout=30)
columns = [row[1] for row in database.execute("PRAGMA table_info(jobs)") if row[1] not in ("id", "created")]
ids = [first] + [os.urandom(16).hex() for _ in range(999)]
with database:
    for i, id in enumerate(ids[1:]):
        database.execute(f"INSERT INTO jobs (id, created, {', '.join(columns)}) SELECT ?, created + ?, {', '.join(columns)} "
                         "FROM jobs WHERE id = ?", (id, (i + 1) * 1e-3, first))
print("1000 jobs queued (one through the API, 999 copies of it)")
# Half of them finished, as a worker would have left them (its result is the photo itself: the feed reads ids only).
now = time.time()
with database:
    database.executemany("UPDATE jobs SET state = 'done', progress = 1, started = ?, finished = ?, result_file = ? WHERE id = ?",
                         [(now - 10 - i, now - i, photo, id) for i, id in enumerate(ids[:500])])
print("500 of them marked done and public")
with open(os.path.join(os.environ["DATA"], "..", "load.env"), "w") as env:
    env.write(f"TOKEN={token}\nJOB={ids[-1]}\n")
PY
# shellcheck disable=SC1091
. "$work/load.env"

measure() {  # NAME URL [HEADER]
    local name="$1" url="$2"; shift 2
    wrk -t2 -c32 -d"${seconds}s" --latency "$@" "$url" >"$work/wrk.txt"
    local rps p99 non2xx
    rps="$(awk '/^Requests\/sec/ {print $2}' "$work/wrk.txt")"
    p99="$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")"
    non2xx="$(awk '/Non-2xx/ {print $NF}' "$work/wrk.txt")"
    echo "$name: $rps requests/s, p99 $p99${non2xx:+, $non2xx non-2xx answers}"
}
measure "GET /api/feed (50 of 500 public results)" "$base/api/feed"
measure "GET /api/jobs/ID (the last of 500 queued)" "$base/api/jobs/$JOB" -H "Authorization: Bearer $TOKEN"

python3 - <<'PY'
import collections, concurrent.futures, json, os, time, urllib.error, urllib.request
base = os.environ["BASE"]
photo = open("Examples/images/tubingen.jpg", "rb").read()
tokens = []
for n in range(10):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    opener.open(urllib.request.Request(base + "/api/users", data=json.dumps({"name": f"uploader{n}", "password": "correct horse"}).encode(),
                                       headers={"content-type": "application/json"}, method="POST")).read()
    tokens.append(json.load(opener.open(urllib.request.Request(base + "/api/tokens", method="POST")))["token"])

def upload(n):
    request = urllib.request.Request(base + "/api/uploads", data=photo, method="POST",
                                     headers={"authorization": "Bearer " + tokens[n % 10], "content-type": "image/jpeg"})
    started = time.time()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, time.time() - started
    except urllib.error.HTTPError as error:
        return error.code, time.time() - started

start = time.time()
with concurrent.futures.ThreadPoolExecutor(50) as pool:
    results = list(pool.map(upload, range(50)))
wall = time.time() - start
codes = collections.Counter(code for code, _ in results)
slowest = max(seconds for _, seconds in results)
print(f"50 concurrent uploads of tubingen.jpg ({len(photo) // 1000} kB, 1024×768 px): status codes {dict(codes)}, "
      f"wall {wall:.2f} s, slowest {slowest:.2f} s")
PY
echo "server resident memory at the end: $(awk '/VmRSS/ {print $2, $3}' /proc/$server/status)"
