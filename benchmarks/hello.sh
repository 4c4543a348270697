#!/bin/sh
# Hello-world keep-alive throughput: anyiohttp (examples/hello.py) on asyncio
# and trio beside a minimal h11+anyio loop and aiohttp, measured in one run.
# Server pinned to CPU 0, wrk (Debian package) to CPU 1; ROUNDS runs each,
# interleaved, median reported.
#   benchmarks/hello.sh            # ROUNDS=3 DURATION=5s CONNECTIONS=50
set -eu
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-50}
PORT=${PORT:-18080}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }

measure() { # name, command...
    name=$1; shift
    taskset -c 0 "$@" >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 50); do
        curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break
        sleep 0.1
    done
    rps=$(taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$DURATION" "http://127.0.0.1:$PORT/" \
          | awk '/Requests\/sec/ {print $2}')
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    echo "$name $rps" >> "$results"
}

results=$(mktemp)
for _ in $(seq "$ROUNDS"); do
    for backend in asyncio trio; do
        measure "anyiohttp-$backend" $PY examples/hello.py --port "$PORT" --backend "$backend" --no-access-log
        measure "h11-loop-$backend" $PY benchmarks/peer_h11_loop.py --port "$PORT" --backend "$backend"
    done
    measure "aiohttp" $PY benchmarks/peer_aiohttp_hello.py --port "$PORT"
done
$PY - "$results" <<'PYEOF'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, rps = line.split()
    runs.setdefault(name, []).append(float(rps))
med = {name: statistics.median(v) for name, v in runs.items()}
for name, value in med.items():
    print(f"{name:20} {value:9.0f} req/s   runs: {', '.join(f'{v:.0f}' for v in runs[name])}")
for backend in ("asyncio", "trio"):
    ratio = med[f"anyiohttp-{backend}"] / med[f"h11-loop-{backend}"]
    print(f"anyiohttp/h11-loop on {backend}: {ratio:.2f}x;"
          f" anyiohttp/aiohttp: {med[f'anyiohttp-{backend}'] / med['aiohttp']:.2f}x")
PYEOF
rm -f "$results"
