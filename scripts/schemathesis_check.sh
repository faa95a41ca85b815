#!/usr/bin/env bash
# The JSON API checked against its OpenAPI document by schemathesis (PyPI, pinned below, in its own venv under
# ~/.cache/impasto-dev/): a real `impasto serve` on a free loopback port with a fresh --data folder, a user
# registered and an API token issued through the API, then every documented operation called with generated valid
# and invalid data. Fails on any 5xx, an undocumented status code or content type, or a body its schema does not
# describe. Rate limits are off (--no-rate-limits) so that the generated requests reach the handlers; the limits
# have their own tests. No workers run: the jobs it queues stay queued.
#   scripts/schemathesis_check.sh [IMPASTO_BINARY]        (default: .build/debug/impasto)
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:-.build/debug/impasto}"
[ -x "$binary" ] || { echo "No impasto binary at $binary; run swift build first." >&2; exit 1; }
version=4.32.5
venv="$HOME/.cache/impasto-dev/schemathesis-$version"
if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "schemathesis==$version"
fi

data="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
"$binary" serve --data "$data/data" --port "$port" --workers 0 --no-rate-limits 2>"$data/serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do
    curl -sf "$base/api/feed" >/dev/null && break
    kill -0 $server 2>/dev/null || { cat "$data/serve.log" >&2; exit 1; }
    sleep 0.2
done

curl -sf -c "$data/jar" -H 'content-type: application/json' -d '{"name":"schemathesis","password":"correct horse"}' \
    "$base/api/users" >/dev/null
token="$(curl -sf -b "$data/jar" -X POST "$base/api/tokens" | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')"
# Something for the id-taking operations to find: an upload and a job of this user.
upload="$(curl -sf -H "Authorization: Bearer $token" --data-binary @Examples/images/chelsea.png "$base/api/uploads" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')"
curl -sf -H "Authorization: Bearer $token" -H 'content-type: application/json' \
    -d "{\"kind\":\"apply\",\"content\":\"$upload\",\"model\":\"starry\",\"size\":64}" "$base/api/jobs" >/dev/null

start=$SECONDS
status=0
# From the temporary folder: schemathesis leaves a .schemathesis folder where it runs.
(cd "$data" && "$venv/bin/schemathesis" run "$base/api/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --max-examples "${SCHEMATHESIS_EXAMPLES:-40}" --seed 14 --workers 2 --no-color --request-timeout 30 \
    --suppress-health-check too_slow,filter_too_much --generation-database none) || status=$?
if ! kill -0 $server 2>/dev/null; then
    echo "impasto serve died during the run:" >&2
    cat "$data/serve.log" >&2
    status=1
fi
echo "schemathesis $version: exit $status in $((SECONDS - start)) s"
exit $status
