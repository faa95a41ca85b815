#!/usr/bin/env python3
"""Issue 8 point 6: which schedule reaches the premium tier's loss soonest?

The premium tier is 700 px and 600 iterations. neural-style's plan (random init, 600 L-BFGS iterations at 700 px)
sets the target: its final loss. Every candidate below runs `impasto stylize --json` on the same images with the
installed VGG-19 (fp32), and the script reports when each first reaches the target at full size (only iterations
of the last, 700 px stage count: losses at other sizes are not comparable), in wall seconds from the start of the
process; a candidate stops once it gets there. Candidates run one after another, so the machine must be otherwise
idle.

    python3 scripts/measure_premium.py [--impasto .build/release/impasto] [--only NAME] [--target LOSS]

--target skips the 12-minute reference run when its loss is known. Standard library only.
"""
import argparse
import json
import subprocess
import sys
import time

CONTENT, STYLE = "Examples/images/tubingen.jpg", "Examples/images/starry_night.jpg"
FAST_INIT = "/tmp/premium-fast-init.png"

# name -> options after the images; the full-size stage's iteration count is the last number.
CANDIDATES = {
    "reference: random init, 600 at 700 px": ["--size", "700", "--iterations", "600", "--init", "random"],
    "photo init, 600 at 700 px": ["--size", "700", "--iterations", "600", "--init", "image"],
    "photo init, 350 -> 700 px (100 + 500)": ["--scales", "350,700", "--iterations-per-scale", "100,500", "--init", "image"],
    "photo init, 350 -> 700 px (200 + 400)": ["--scales", "350,700", "--iterations-per-scale", "200,400", "--init", "image"],
    "random init, 350 -> 700 px (300 + 300)": ["--scales", "350,700", "--iterations-per-scale", "300,300", "--init", "random"],
    # Artisto's trick: start from a cheap approximation of the answer. The bundled starry net paints the photo in
    # a second; its time is counted.
    "starry net's output init, 600 at 700 px": ["--size", "700", "--iterations", "600", "--init", FAST_INIT],
    "starry net's output init, 350 -> 700 px (100 + 500)":
        ["--scales", "350,700", "--iterations-per-scale", "100,500", "--init", FAST_INIT],
}


def run(impasto, options, target):
    """Runs one candidate, streaming its --json progress. Returns (seconds from the start of the process to
    the first full-size iteration at or below `target`, or None; the last full-size loss seen; wall seconds).
    A candidate is stopped as soon as it reaches the target: what it would do afterwards is not measured."""
    command = [impasto, "stylize", CONTENT, "--style", STYLE, "--seed", "1", "--json", "-o", "/tmp/premium-candidate.png"]
    stages = [int(n) for n in options[options.index("--iterations-per-scale") + 1].split(",")] \
        if "--scales" in options else [int(options[options.index("--iterations") + 1])]
    first_full_size = sum(stages[:-1]) + 1
    start = time.monotonic()
    if FAST_INIT in options:
        subprocess.run([impasto, "apply", CONTENT, "--model", "starry", "--size", "700", "--quiet", "-o", FAST_INIT],
                       check=True)
    process = subprocess.Popen(command + options, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    reached, last = None, None
    for line in process.stdout:
        if not line.startswith("{"):
            continue
        event = json.loads(line)
        if event.get("iteration", 0) < first_full_size:
            continue
        last = event["loss"]
        if target is not None and last <= target:
            reached = time.monotonic() - start
            process.kill()
            break
    process.wait()
    return reached, last, time.monotonic() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--impasto", default=".build/release/impasto")
    parser.add_argument("--only")
    parser.add_argument("--target", type=float)
    arguments = parser.parse_args()
    target = arguments.target
    rows = []
    for name, options in CANDIDATES.items():
        is_reference = name.startswith("reference")
        if is_reference and target is not None:
            continue
        if arguments.only and arguments.only not in name and not is_reference:
            continue
        reached, last, wall = run(arguments.impasto, options, None if is_reference else target)
        if is_reference:
            target, reached = last, wall
        rows.append((name, reached, last))
        print(f"{name}: {wall:.0f} s, loss {last!r}, target {target!r} "
              + (f"reached at {reached:.0f} s" if reached is not None else "not reached"), file=sys.stderr, flush=True)
    print("| schedule | time to the reference's final loss | loss then |")
    print("| --- | --- | --- |")
    for name, reached, last in rows:
        print(f"| {name} | " + (f"{reached:.0f} s" if reached is not None else "not reached") + f" | {last:.4g} |")


if __name__ == "__main__":
    main()
