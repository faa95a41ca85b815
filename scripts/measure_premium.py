#!/usr/bin/env python3
"""Issue 8 point 6: which schedule reaches the premium tier's loss soonest?

The premium tier is 700 px and 600 iterations. neural-style's plan (random init, 600 L-BFGS iterations at 700 px)
sets the target: its final loss. Every candidate below runs `impasto stylize --json` on the same images with the
installed VGG-19 (fp32), and the script reports when each first reaches the target at full size (only iterations
of the last, 700 px stage count: losses at other sizes are not comparable), in wall seconds from the start of the
process, plus its own final loss. Candidates run one after another, so the machine must be otherwise idle.

    python3 scripts/measure_premium.py [--impasto .build/release/impasto] [--only NAME] [--target LOSS]

--target skips the 12-minute reference run when its loss is known. Standard library only.
"""
import argparse
import json
import subprocess
import sys
import time

CONTENT, STYLE = "Examples/images/tubingen.jpg", "Examples/images/starry_night.jpg"

# name -> options after the images; the full-size stage's iteration count is the last number.
CANDIDATES = {
    "reference: random init, 600 at 700 px": ["--size", "700", "--iterations", "600", "--init", "random"],
    "photo init, 600 at 700 px": ["--size", "700", "--iterations", "600", "--init", "image"],
    "photo init, 350 -> 700 px (200 + 400)": ["--scales", "350,700", "--iterations-per-scale", "200,400", "--init", "image"],
    "photo init, 350 -> 700 px (100 + 400)": ["--scales", "350,700", "--iterations-per-scale", "100,400", "--init", "image"],
    "random init, 350 -> 700 px (300 + 300)": ["--scales", "350,700", "--iterations-per-scale", "300,300", "--init", "random"],
}


def run(impasto, options):
    """(seconds since start, loss) of every iteration of the last stage, and the wall time of the whole run."""
    command = [impasto, "stylize", CONTENT, "--style", STYLE, "--seed", "1", "--json", "-o", "/tmp/premium-candidate.png"]
    start = time.monotonic()
    output = subprocess.run(command + options, check=True, capture_output=True, text=True).stdout
    wall = time.monotonic() - start
    events = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    steps = [e for e in events if "iteration" in e]
    last_stage = int(options[options.index("--iterations-per-scale") + 1].split(",")[-1]) if "--scales" in options \
        else len(steps)
    return [(e["seconds"], e["loss"]) for e in steps[-last_stage:]], wall


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--impasto", default=".build/release/impasto")
    parser.add_argument("--only")
    parser.add_argument("--target", type=float)
    arguments = parser.parse_args()
    target = arguments.target
    rows = []
    for name, options in CANDIDATES.items():
        if name.startswith("reference") and target is not None:
            continue
        if arguments.only and arguments.only not in name and not name.startswith("reference"):
            continue
        steps, wall = run(arguments.impasto, options)
        if name.startswith("reference"):
            target = steps[-1][1]
        reached = next((seconds for seconds, loss in steps if loss <= target), None)
        rows.append((name, wall, steps[-1][1], reached))
        print(f"{name}: {wall:.0f} s, final loss {steps[-1][1]:.4g}, target {target:.4g} reached at "
              + (f"{reached:.0f} s" if reached is not None else "never"), file=sys.stderr)
    print("| schedule | wall time | final loss | time to reach the reference's final loss |")
    print("| --- | --- | --- | --- |")
    for name, wall, final, reached in rows:
        print(f"| {name} | {wall:.0f} s | {final:.4g} | " + (f"{reached:.0f} s" if reached is not None else "not reached") + " |")


if __name__ == "__main__":
    main()
