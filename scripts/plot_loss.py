#!/usr/bin/env python3
"""Draws `impasto train` loss logs (<name>.loss.csv) as one SVG: content and style terms per iteration, each
smoothed over a 25-iteration window (one batch of four random crops is a noisy estimate), log-scaled.
Standard library only.

    python3 scripts/plot_loss.py OUT.svg NAME=run.loss.csv [NAME=other.loss.csv ...]
"""
import csv
import math
import sys

WIDTH, HEIGHT, MARGIN = 640, 300, 56
COLOURS = ["#1f5fa8", "#c0392b", "#2e8b57", "#8e44ad"]


def smoothed(values, window=25):
    out, total = [], 0.0
    for i, value in enumerate(values):
        total += value
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def main():
    output, specs = sys.argv[1], sys.argv[2:]
    series = []
    for spec in specs:
        name, path = spec.split("=", 1)
        with open(path) as f:
            rows = list(csv.DictReader(f))
        iterations = [int(r["iteration"]) for r in rows]
        for term, dash in (("content", "6,3"), ("style", "")):
            series.append((f"{name} {term}", iterations, smoothed([float(r[term]) for r in rows]), dash))
    x_max = max(max(s[1]) for s in series)
    y_values = [v for s in series for v in s[2] if v > 0]
    low, high = math.floor(math.log10(min(y_values))), math.ceil(math.log10(max(y_values)))

    def point(x, y):
        px = MARGIN + (WIDTH - 2 * MARGIN) * x / x_max
        py = HEIGHT - MARGIN + (2 * MARGIN - HEIGHT) * (math.log10(max(y, 10 ** low)) - low) / (high - low)
        return f"{px:.1f},{py:.1f}"

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="11">',
             f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>']
    for exponent in range(low, high + 1):
        y = point(0, 10 ** exponent).split(",")[1]
        parts.append(f'<line x1="{MARGIN}" y1="{y}" x2="{WIDTH - MARGIN}" y2="{y}" stroke="#ddd"/>')
        parts.append(f'<text x="{MARGIN - 6}" y="{y}" text-anchor="end" dominant-baseline="middle">1e{exponent}</text>')
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        x = point(x_max * fraction, 10 ** low).split(",")[0]
        parts.append(f'<text x="{x}" y="{HEIGHT - MARGIN + 16}" text-anchor="middle">{round(x_max * fraction)}</text>')
    parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT - 14}" text-anchor="middle">iteration (batches of 4)</text>')
    for index, (name, xs, ys, dash) in enumerate(series):
        colour = COLOURS[(index // 2) % len(COLOURS)]
        path = " ".join(point(x, y) for x, y in zip(xs, ys))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" stroke-dasharray="{dash}" points="{path}"/>')
        parts.append(f'<line x1="{WIDTH - MARGIN - 150}" y1="{20 + 15 * index}" x2="{WIDTH - MARGIN - 125}" y2="{20 + 15 * index}" '
                     f'stroke="{colour}" stroke-width="1.5" stroke-dasharray="{dash}"/>')
        parts.append(f'<text x="{WIDTH - MARGIN - 120}" y="{20 + 15 * index}" dominant-baseline="middle">{name}</text>')
    parts.append("</svg>")
    with open(output, "w") as f:
        f.write("\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
