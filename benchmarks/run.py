"""Runs the benchmark suite and writes benchmarks/RESULTS.md and a JSON file of raw results.

Every (framework, workload) measurement runs in its own process; rounds are interleaved
(lamina, torch, lamina, torch, ...) so that slow drifts of a shared machine hit every framework
alike, and each round's ratio lamina / anchor is computed within the round.

    python -m benchmarks.run                       # everything available
    python -m benchmarks.run --quick               # fewer rounds, shorter timings
    python -m benchmarks.run --workloads iris_mlp_b16 --frameworks lamina,lamina_eager,torch
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ANCHOR_PYTHON = HERE / ".anchors" / "bin" / "python"
LAMINA_SIDE = {"lamina", "lamina_lowlevel", "lamina_eager", "numpy"}  # this interpreter
ANCHORS = ["torch", "numpy", "lamina_eager"]          # what lamina is compared against
THREADS = "2"


def interpreter(framework: str) -> str | None:
    if framework in LAMINA_SIDE:
        return sys.executable
    return str(ANCHOR_PYTHON) if ANCHOR_PYTHON.exists() else None


def measure(framework: str, workload: str, seconds: float) -> dict | None:
    python = interpreter(framework)
    if python is None:
        return None
    env = dict(os.environ, OMP_NUM_THREADS=THREADS, OPENBLAS_NUM_THREADS=THREADS,
               MKL_NUM_THREADS=THREADS, PYTHONPATH=str(ROOT))
    proc = subprocess.run([python, "-m", "benchmarks.worker", framework, workload,
                           "--seconds", str(seconds)], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"error": last}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_rounds(workloads: list[str], frameworks: list[str], rounds: int, seconds: float
               ) -> dict:
    results: dict = {w: {f: [] for f in frameworks} for w in workloads}
    for r in range(rounds):
        for w in workloads:
            order = frameworks if r % 2 == 0 else list(reversed(frameworks))
            for f in order:
                out = measure(f, w, seconds)
                if out is not None:
                    results[w][f].append(out)
                    shown = out.get("median_us", out.get("error"))
                    print(f"round {r + 1}/{rounds}  {w:22s} {f:14s} {shown}", flush=True)
    return results


def ratios(results: dict) -> dict:
    """Per workload and anchor: lamina/anchor per round, with median, min and max."""
    table: dict = {}
    for w, by_fw in results.items():
        mine = [m.get("median_us") for m in by_fw.get("lamina", [])]
        for anchor, runs in by_fw.items():
            if anchor == "lamina":
                continue
            theirs = [m.get("median_us") for m in runs]
            per_round = [a / b for a, b in zip(mine, theirs) if a and b]
            if per_round:
                table.setdefault(w, {})[anchor] = {
                    "median": statistics.median(per_round), "min": min(per_round),
                    "max": max(per_round), "rounds": len(per_round)}
    return table


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {THREADS} threads, Python {platform.python_version()}"


def markdown(results: dict, table: dict, command: str, overhead: list[dict]) -> str:
    lines = [f"## Run of {datetime.date.today().isoformat()}", "",
             f"Machine: {machine()}  ", f"Command: `{command}`", "",
             "### Step time, median µs (lower is better)", "",
             "| workload | " + " | ".join(_frameworks(results)) + " |",
             "|---|" + "---|" * len(_frameworks(results))]
    for w, by_fw in results.items():
        cells = []
        for f in _frameworks(results):
            runs = [m["median_us"] for m in by_fw.get(f, []) if "median_us" in m]
            cells.append(f"{statistics.median(runs):,.0f}" if runs else "—")
        lines.append(f"| {w} | " + " | ".join(cells) + " |")
    lines += ["", "### Ratios lamina / anchor, per round (median [min, max]; < 1: lamina faster)",
              "", "| workload | anchor | median | min | max | rounds |", "|---|---|---|---|---|---|"]
    for w, by_anchor in table.items():
        for a, r in by_anchor.items():
            lines.append(f"| {w} | {a} | {r['median']:.3f} | {r['min']:.3f} | {r['max']:.3f} "
                         f"| {r['rounds']} |")
    lines += ["", "### First step (trace + compile), ms", "", "| workload | framework | ms |",
              "|---|---|---|"]
    for w, by_fw in results.items():
        for f, runs in by_fw.items():
            firsts = [m["first_step_ms"] for m in runs if "first_step_ms" in m]
            if firsts:
                lines.append(f"| {w} | {f} | {statistics.median(firsts):.1f} |")
    if overhead:
        lines += ["", "### Eager overhead: lamina op / the same NumPy call (same process)", "",
                  "| case | elements | NumPy µs | lamina µs | ratio (median [min, max]) |",
                  "|---|---|---|---|---|"]
        for r in overhead:
            lines.append(f"| `{r['case']}` | {r['size']} | {r['numpy_us']:.2f} | "
                         f"{r['lamina_us']:.2f} | {r['ratio']:.2f} [{r['ratio_min']:.2f}, "
                         f"{r['ratio_max']:.2f}] |")
    return "\n".join(lines) + "\n"


def _frameworks(results: dict) -> list[str]:
    seen: list[str] = []
    for by_fw in results.values():
        for f, runs in by_fw.items():
            if runs and f not in seen:
                seen.append(f)
    return seen


def eager_overhead() -> list[dict]:
    env = dict(os.environ, OMP_NUM_THREADS=THREADS, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "benchmarks.eager_overhead"], cwd=ROOT,
                          env=env, capture_output=True, text=True, check=True)
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workloads", default="iris_mlp_b16")
    parser.add_argument("--frameworks", default="lamina,lamina_eager,numpy,torch")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--quick", action="store_true", help="3 rounds of 0.5 s")
    parser.add_argument("--no-overhead", action="store_true")
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"))
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.seconds = 3, 0.5
    workloads = args.workloads.split(",")
    frameworks = args.frameworks.split(",")
    if not ANCHOR_PYTHON.exists():
        print("note: no anchors environment (benchmarks/.anchors); run `make bench` to build "
              "it. Measuring lamina-side frameworks only.", file=sys.stderr)
    results = run_rounds(workloads, frameworks, args.rounds, args.seconds)
    table = ratios(results)
    overhead = [] if args.no_overhead else eager_overhead()
    command = "python -m benchmarks.run " + " ".join(sys.argv[1:])
    raw = HERE / "out" / f"results-{datetime.date.today().isoformat()}.json"
    raw.parent.mkdir(exist_ok=True)
    raw.write_text(json.dumps({"results": results, "ratios": table, "overhead": overhead,
                               "machine": machine(), "command": command}, indent=1))
    report = markdown(results, table, command, overhead)
    print(report)
    _write_report(Path(args.out), report)


def _write_report(path: Path, report: str) -> None:
    """Puts the newest run first under the file's header, keeping earlier runs below."""
    header = ("# Benchmark results\n\nNewest run first. Ratios are computed within each round "
              "(same machine, same minute); absolute times move from run to run.\n\n")
    old = path.read_text() if path.exists() else header
    body = old[len(header):] if old.startswith(header) else old
    path.write_text(header + report + "\n" + body)


if __name__ == "__main__":
    main()
