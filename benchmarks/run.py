"""Runs the benchmark suite and writes benchmarks/RESULTS.md and a JSON file of raw results.

Every (framework, workload) measurement runs in its own process; rounds are interleaved
(lamina, torch, lamina, torch, ...) so that slow drifts of a shared machine hit every framework
alike, and each round's ratio lamina / anchor is computed within the round.

    python -m benchmarks.run                       # everything (make bench)
    python -m benchmarks.run --quick               # 3 short rounds (make bench-quick)
    python -m benchmarks.run --workloads iris_mlp_b16 --frameworks lamina,lamina_eager,torch

Anchors (PyTorch, JAX, Keras on TensorFlow, scikit-learn) run in their own environment,
benchmarks/.anchors, which ``make bench`` creates. A framework that has no model for a workload
(JAX's CNN, say) is skipped for it.
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
LOWLEVEL = ("lamina_lowlevel", "lamina_eager")   # the low-level API, compiled and eager
THREADS = "2"
ALL_WORKLOADS = ("iris_mlp_b16", "mnist_mlp_b128", "mnist_cnn_b64", "char_lstm_b32_t32",
                 "mnist_mlp_predict_1", "sklearn_mlp_digits")


def interpreter(framework: str) -> str | None:
    if framework in LAMINA_SIDE:
        return sys.executable
    return str(ANCHOR_PYTHON) if ANCHOR_PYTHON.exists() else None


def blas_env() -> dict:
    """The same thread counts for every framework, and OpenBLAS's AVX-512 kernels where
    lamina would ask for them (lamina/_blas.py): the workers import NumPy before lamina, so
    they get the choice through the environment, like every other process of the run."""
    env = dict(os.environ, OMP_NUM_THREADS=THREADS, OPENBLAS_NUM_THREADS=THREADS,
               MKL_NUM_THREADS=THREADS, PYTHONPATH=str(ROOT))
    from lamina._blas import _AVX512, _cpu
    vendor, flags = _cpu()
    if "OPENBLAS_CORETYPE" not in env and vendor == "AuthenticAMD" and _AVX512 <= flags:
        env["OPENBLAS_CORETYPE"] = "SKYLAKEX"
    return env


def measure(framework: str, workload: str, seconds: float) -> dict | None:
    python = interpreter(framework)
    if python is None:
        return None
    return run_json([python, "-m", "benchmarks.worker", framework, workload,
                     "--seconds", str(seconds)], blas_env())


def run_json(command: list[str], env: dict | None = None, check: bool = False) -> dict:
    """Runs one measuring process; its last line of output (JSON), or its last error line
    (``check``: raises RuntimeError with that line instead, when the process fails or
    prints nothing)."""
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        error = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        if check:
            raise RuntimeError(f"{' '.join(command)} failed (exit {proc.returncode}): {error}")
        return {"error": error}
    return json.loads(lines[-1])


def run_rounds(workloads: list[str], frameworks: list[str], rounds: int, seconds: float
               ) -> dict:
    results: dict = {w: {f: [] for f in frameworks} for w in workloads}
    skipped: set[tuple[str, str]] = set()
    for r in range(rounds):
        for w in workloads:
            order = frameworks if r % 2 == 0 else list(reversed(frameworks))
            for f in order:
                if (f, w) in skipped:
                    continue
                out = measure(f, w, seconds)
                if out is not None and "skipped" in out:
                    skipped.add((f, w))
                    results[w].pop(f, None)
                    continue
                if out is not None:
                    results[w][f].append(out)
                    shown = out.get("median_us", out.get("error"))
                    print(f"round {r + 1}/{rounds}  {w:22s} {f:14s} {shown}", flush=True)
    return results


def ratios(results: dict, mine: str = "lamina", anchors: tuple | None = None) -> dict:
    """Per workload and anchor: ``mine``/anchor per round, with median, min and max.

    The anchors are every other framework measured (``anchors``: only those), except the
    low-level lamina variants, which ``lowlevel`` compares on their own.
    """
    table: dict = {}
    for w, by_fw in results.items():
        own = [m.get("median_us") for m in by_fw.get(mine, [])]
        others = anchors if anchors is not None else [f for f in by_fw if f not in LOWLEVEL]
        for anchor in others:
            if anchor == mine or anchor not in by_fw:
                continue
            theirs = [m.get("median_us") for m in by_fw[anchor]]
            per_round = [a / b for a, b in zip(own, theirs) if a and b]
            if per_round:
                table.setdefault(w, {})[anchor] = {
                    "median": statistics.median(per_round), "min": min(per_round),
                    "max": max(per_round), "rounds": len(per_round)}
    return table


def machine() -> str:
    blas = blas_env().get("OPENBLAS_CORETYPE")
    suffix = f", OPENBLAS_CORETYPE={blas} for every process" if blas else ""
    return _machine() + suffix


def _machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {THREADS} threads, Python {platform.python_version()}"


def markdown(results: dict, table: dict, command: str, overhead: list[dict],
             extras: dict | None = None) -> str:
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
    low = ratios(results, "lamina_lowlevel", ("lamina_eager", "torch", "jax"))
    if low:
        lines += ["", "### Low-level API (Variables, GradientTape, Adam in `lm.function`): "
                  "compiled step / other, per round", "",
                  "| workload | other | median | min | max | rounds |", "|---|---|---|---|---|---|"]
        for w, by_other in low.items():
            for o, r in by_other.items():
                lines.append(f"| {w} | {o} | {r['median']:.3f} | {r['min']:.3f} | "
                             f"{r['max']:.3f} | {r['rounds']} |")
    lines += ["", "### First step (trace + compile), ms", "", "| workload | framework | ms |",
              "|---|---|---|"]
    for w, by_fw in results.items():
        for f, runs in by_fw.items():
            firsts = [m["first_step_ms"] for m in runs if "first_step_ms" in m]
            if firsts:
                lines.append(f"| {w} | {f} | {statistics.median(firsts):.1f} |")
    extras = extras or {}
    lines += ["", "### Memory of a training step, MB", "",
              "Steady step: the peak RSS of the timed steps over the RSS after warm-up (what a "
              "step allocates on top of what stays resident). With first step: the peak from "
              "before the first step (tracing and compiling included) over the RSS then. "
              "Process peak: the whole process's peak RSS (framework, model, data, steps).", "",
              "| workload | framework | steady step | with first step | process peak |",
              "|---|---|---|---|---|"]

    def cell(runs: list, key: str, fmt: str) -> str:
        values = [m[key] for m in runs if key in m]
        return format(statistics.median(values), fmt) if values else "—"

    for w, by_fw in results.items():
        for f, runs in by_fw.items():
            if any("step_peak_mb" in m for m in runs):
                lines.append(f"| {w} | {f} | {cell(runs, 'steady_peak_mb', '.1f')} | "
                             f"{cell(runs, 'step_peak_mb', '.1f')} | "
                             f"{cell(runs, 'peak_rss_mb', '.0f')} |")
    if extras.get("startup"):
        lines += ["", "### Import", "", "| framework | import s | RSS after import, MB |",
                  "|---|---|---|"]
        for r in extras["startup"]:
            lines.append(f"| {r['framework']} | {r['import_s']:.3f} | {r['rss_mb']:.0f} |")
    floor = extras.get("gemm_floor")
    if floor:
        mine = [m["median_us"] for m in results.get("mnist_mlp_b128", {}).get("lamina", [])
                if "median_us" in m]
        ratio = f"{statistics.median(mine) / floor['floor_us']:.2f}x" if mine else "—"
        lines += ["", f"### GEMM floor of mnist_mlp_b128: {floor['step_gflop']:.3f} GFLOP per "
                  f"step at the {floor['sgemm_gflops']:.0f} GFLOP/s NumPy's sgemm reaches here "
                  f"= {floor['floor_us']:,.0f} µs; lamina's step: {ratio} the floor"]
    if extras.get("scaling"):
        lines += scaling_markdown(extras["scaling"])
        if extras.get("scaling_plot"):
            lines += ["", "![scaling](scaling.png)"]
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


def startup(frameworks: list[str]) -> list[dict]:
    """Import time and memory after import, each framework in a fresh process (median of 3)."""
    rows = []
    for f in frameworks:
        python = interpreter(f)
        module = {"lamina_eager": "lamina", "lamina_lowlevel": "lamina"}.get(f, f)
        if python is None or module not in ("lamina", "torch", "jax", "keras", "numpy",
                                            "sklearn") or any(r["framework"] == module
                                                              for r in rows):
            continue
        runs = [run_json([python, "-m", "benchmarks.startup", module],
                         dict(os.environ, PYTHONPATH=str(ROOT))) for _ in range(3)]
        runs = [r for r in runs if "error" not in r]
        if runs:
            rows.append({"framework": module,
                         "import_s": statistics.median(r["import_s"] for r in runs),
                         "rss_mb": statistics.median(r["rss_mb"] for r in runs)})
    return rows


def gemm_floor() -> dict:
    return run_json([sys.executable, "-m", "benchmarks.gemm_floor", "mnist_mlp_b128"],
                    blas_env(), check=True)


SCALING_BATCHES = (16, 64, 256, 1024)
SCALING_WIDTHS = (128, 256, 512, 1024)


def scaling(seconds: float) -> dict:
    """Step time of the 784-w-w-10 MLP by batch (w=512) and by width (batch 128)."""
    points = [(b, 512) for b in SCALING_BATCHES] + [(128, w) for w in SCALING_WIDTHS
                                                    if w != 512]
    table = {}
    for batch, width in points:
        name = f"mlp_b{batch}_w{width}"
        for f in ("lamina", "torch"):
            out = measure(f, name, seconds)
            if out and "median_us" in out:
                table.setdefault(name, {})[f] = out["median_us"]
                print(f"scaling {name:16s} {f:7s} {out['median_us']:.0f}", flush=True)
    return table


def scaling_markdown(table: dict) -> list[str]:
    lines = ["", "### Scaling: MLP 784-w-w-10 step time, µs (lamina / PyTorch)", "",
             "| batch | width | lamina | PyTorch | ratio |", "|---|---|---|---|---|"]
    for name, row in table.items():
        batch, width = name[len("mlp_b"):].split("_w")
        if "lamina" in row and "torch" in row:
            lines.append(f"| {batch} | {width} | {row['lamina']:,.0f} | {row['torch']:,.0f} "
                         f"| {row['lamina'] / row['torch']:.2f} |")
    return lines


def scaling_plot(table: dict, path: Path) -> str | None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for ax, key, values, fixed in ((axes[0], "batch", SCALING_BATCHES, "width 512"),
                                   (axes[1], "width", SCALING_WIDTHS, "batch 128")):
        for f, style in (("lamina", "o-"), ("torch", "s--")):
            xs, ys = [], []
            for v in values:
                name = f"mlp_b{v}_w512" if key == "batch" else f"mlp_b128_w{v}"
                if f in table.get(name, {}):
                    xs.append(v)
                    ys.append(table[name][f] / 1000)
            ax.plot(xs, ys, style, label="PyTorch eager" if f == "torch" else f)
        ax.set(xscale="log", yscale="log", xlabel=key, ylabel="ms per step",
               title=f"MLP 784-w-w-10, {fixed}")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return str(path)


def eager_overhead() -> list[dict]:
    env = blas_env()
    proc = subprocess.run([sys.executable, "-m", "benchmarks.eager_overhead"], cwd=ROOT,
                          env=env, capture_output=True, text=True, check=True)
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workloads", default=",".join(ALL_WORKLOADS))
    parser.add_argument("--frameworks", default="lamina,lamina_lowlevel,lamina_eager,torch,jax,"
                                                "keras,sklearn,numpy")
    parser.add_argument("--no-scaling", action="store_true")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--quick", action="store_true",
                        help="2 rounds of 0.3 s, no scaling sweep (under 5 minutes)")
    parser.add_argument("--no-overhead", action="store_true")
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"))
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.seconds, args.no_scaling = 2, 0.3, True
    workloads = args.workloads.split(",")
    frameworks = args.frameworks.split(",")
    if not ANCHOR_PYTHON.exists():
        print("note: no anchors environment (benchmarks/.anchors); run `make bench` to build "
              "it. Measuring lamina-side frameworks only.", file=sys.stderr)
    results = run_rounds(workloads, frameworks, args.rounds, args.seconds)
    table = ratios(results)
    overhead = [] if args.no_overhead else eager_overhead()
    extras = {"startup": startup(frameworks), "gemm_floor": gemm_floor()}
    if not args.no_scaling:
        extras["scaling"] = scaling(args.seconds)
        extras["scaling_plot"] = scaling_plot(extras["scaling"], HERE / "scaling.png")
    command = "python -m benchmarks.run " + " ".join(sys.argv[1:])
    # The raw numbers: beside the report when it goes elsewhere, else in benchmarks/out/.
    raw = (HERE / "out" / f"results-{datetime.date.today().isoformat()}.json"
           if Path(args.out).resolve() == (HERE / "RESULTS.md").resolve()
           else Path(args.out).with_suffix(".json"))
    raw.parent.mkdir(exist_ok=True)
    raw.write_text(json.dumps({"results": results, "ratios": table, "overhead": overhead,
                               "extras": extras, "machine": machine(), "command": command},
                              indent=1))
    report = markdown(results, table, command, overhead, extras)
    print(report)
    write_report(Path(args.out), report)


RESULTS_HEADER = ("# Benchmark results\n\nNewest run first. Ratios are computed within each "
                  "round (same machine, same minute); absolute times move from run to run.\n\n")


def write_report(path: Path, report: str, header: str = RESULTS_HEADER) -> None:
    """Puts the newest run first under the file's header, keeping earlier runs below."""
    old = path.read_text() if path.exists() else header
    path.write_text(header + report + "\n" + old.removeprefix(header))


if __name__ == "__main__":
    main()
