"""GPU benchmarks: lamina on CuPy against PyTorch eager, on the same NVIDIA GPU.

Every training/inference workload of benchmarks/workloads.py (not the scikit-learn fit) runs
at its own batch size and at batch 1024, each measurement in a fresh process, in interleaved
rounds (lamina, torch, torch, lamina, ...); the ratio lamina / PyTorch is taken per round.
Both sides work as a user's training loop does: the data sits in host memory and each batch is
copied to the GPU (``model.fit`` on NumPy arrays; ``.cuda()`` per batch in PyTorch); float32,
Adam, sparse cross-entropy; TF32 off in both (cuBLAS and cuDNN) unless ``--tf32``.

For the MLPs the step's matrix products alone, run back to back by cupy.matmul (cuBLAS), give
a floor no framework can beat: the table shows lamina's step against it.

    python -m benchmarks.gpu                      # every workload, both batch sizes, 5 rounds
    python -m benchmarks.gpu --quick              # 2 short rounds
    python -m benchmarks.gpu --workloads mnist_mlp_b128 --batches own,1024 --tf32

Writes benchmarks/out/gpu-results-<date>.json and puts a Markdown section at the top of
benchmarks/GPU-RESULTS.md. Without an NVIDIA GPU and CuPy it stops at once, saying why
(exit status 2). Needs PyTorch with CUDA in the interpreter given by --torch-python.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import statistics
import sys
from pathlib import Path
from typing import Any, Callable

from .run import ratios, run_json, write_report
from .timing import time_step
from .workloads import WORKLOADS, Workload, repeated

HERE = Path(__file__).resolve().parent
BIG_BATCH = 1024
GPU_WORKLOADS = ("iris_mlp_b16", "mnist_mlp_b128", "mnist_cnn_b64", "char_lstm_b32_t32",
                 "mnist_mlp_predict_1")
FRAMEWORKS = ("lamina", "torch")


# ---- what is measured -----------------------------------------------------------------------
def variant(name: str, batch: str) -> Workload:
    """Workload ``name`` at its own batch ("own") or at a given one (as many samples per
    timed call as the original, at least one batch)."""
    w = WORKLOADS[name]
    if batch == "own" or int(batch) == w.batch:
        return w
    size = int(batch)
    if size < 1:
        raise ValueError(f"batch sizes must be 'own' or integers >= 1, received {batch!r}")
    per_call = max(1, w.batch * w.per_call // size)
    return dataclasses.replace(w, name=f"{w.name}@{size}", batch=size, per_call=per_call)


def gpu_problem() -> str | None:
    """Why lamina cannot use a GPU here (None when it can)."""
    import lamina as lm
    from lamina.backends import cupy_backend
    if any(d.kind == "gpu" for d in lm.list_devices()):
        return None
    return cupy_backend.unavailable_reason()


def _lamina(w: Workload, tf32: bool) -> tuple[Callable, Callable, int]:
    import lamina as lm
    from .frameworks import lamina_keras
    lm.config.set_tf32(tf32)
    gpu = lm.backends.get_device("gpu")
    with lm.device(gpu):
        model = lamina_keras.build_model(w)
        model.compile(optimizer=lm.optimizers.Adam(1e-3),
                      loss=lm.losses.SparseCategoricalCrossentropy(from_logits=True))
    if w.kind == "predict":
        x, _ = w.data()
        return (lambda: model.predict_on_batch(x)), gpu.backend.synchronize, 1
    xs, ys = repeated(w)

    def epoch() -> None:
        model.fit(xs, ys, batch_size=w.batch, epochs=1, verbose=0, shuffle=False)
    return epoch, gpu.backend.synchronize, w.per_call


def _torch_precision(torch: Any, tf32: bool) -> None:
    """TF32 on or off for cuBLAS and cuDNN (the newer API where this PyTorch has it)."""
    matmul = torch.backends.cuda.matmul
    if hasattr(matmul, "fp32_precision"):
        matmul.fp32_precision = "tf32" if tf32 else "ieee"
        torch.backends.cudnn.conv.fp32_precision = "tf32" if tf32 else "ieee"
    else:
        matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32


def _torch(w: Workload, tf32: bool) -> tuple[Callable, Callable, int]:
    import torch
    from .frameworks import torch_eager
    if not torch.cuda.is_available():
        raise RuntimeError("this PyTorch sees no CUDA device (install a CUDA build)")
    _torch_precision(torch, tf32)
    torch.manual_seed(0)
    model = torch_eager.make_model(w).cuda()
    if w.kind == "predict":
        x = torch.from_numpy(w.data()[0])
        model.eval()

        def predict() -> Any:
            with torch.no_grad():
                return model(x.cuda()).cpu()
        return predict, torch.cuda.synchronize, 1
    batches, opt, loss_fn = torch_eager.training_parts(model, w)

    def epoch() -> None:   # each batch copied from host memory, as model.fit does
        for x, y in batches:
            opt.zero_grad(set_to_none=True)
            loss_fn(model(x.cuda()), y.cuda()).backward()
            opt.step()
    return epoch, torch.cuda.synchronize, w.per_call


def gemm_shapes(sizes: tuple, batch: int) -> list[tuple[int, int, int]]:
    """(m, k, n) of an MLP training step's products: forward and weight gradient of every
    layer, input gradient of every layer but the first (see gemm_floor.step_flops)."""
    shapes = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        shapes += [(batch, fan_in, fan_out), (fan_in, batch, fan_out)]
        if i:
            shapes.append((batch, fan_out, fan_in))
    return shapes


def _floor(w: Workload, tf32: bool) -> tuple[Callable, Callable, int]:
    """The step's matrix products alone, through cupy.matmul (cuBLAS)."""
    import cupy
    import lamina as lm
    lm.config.set_tf32(tf32)
    if w.kind != "mlp":
        raise NotImplementedError("the cuBLAS floor is measured for the MLP workloads")
    operands = [(cupy.ones((m, k), cupy.float32), cupy.ones((k, n), cupy.float32),
                 cupy.empty((m, n), cupy.float32)) for m, k, n in gemm_shapes(w.sizes, w.batch)]

    def products() -> None:
        for a, b, out in operands:
            cupy.matmul(a, b, out=out)
    return products, cupy.cuda.Device().synchronize, 1


BUILDERS = {"lamina": _lamina, "torch": _torch, "floor": _floor}


# ---- one measurement (a fresh process) ---------------------------------------------------------
def worker(framework: str, name: str, batch: str, seconds: float, tf32: bool) -> dict:
    """Times one (framework, workload, batch) in this process."""
    if framework != "torch":         # PyTorch's interpreter may have no CuPy (or lamina)
        problem = gpu_problem()
        if problem is not None:
            return {"error": f"no GPU: {problem}"}
    w = variant(name, batch)
    try:
        step, sync, per_call = BUILDERS[framework](w, tf32)
    except NotImplementedError as exc:
        return {"skipped": str(exc)}
    result = time_step(step, seconds=seconds, sync=sync)
    for key in ("median_us", "min_us"):
        result[key] /= per_call
    result.update(framework=framework, workload=w.name, batch=w.batch, tf32=tf32)
    return result


def measure(framework: str, name: str, batch: str, args: argparse.Namespace) -> dict:
    python = args.torch_python if framework == "torch" else sys.executable
    command = [python, "-m", "benchmarks.gpu", "--worker", framework, name, batch,
               "--seconds", str(args.seconds)] + (["--tf32"] if args.tf32 else [])
    return run_json(command)


def run_rounds(args: argparse.Namespace) -> tuple[dict, dict]:
    """results[workload@batch][framework] = [one dict per round]; floors by workload."""
    results: dict = {}
    floors: dict = {}
    points = [(name, batch) for name in args.workloads for batch in args.batches]
    for r in range(args.rounds):
        for name, batch in points:
            label = variant(name, batch).name
            order = FRAMEWORKS if r % 2 == 0 else tuple(reversed(FRAMEWORKS))
            for framework in order:
                out = measure(framework, name, batch, args)
                results.setdefault(label, {}).setdefault(framework, []).append(out)
                print(f"round {r + 1}/{args.rounds}  {label:26s} {framework:7s} "
                      f"{out.get('median_us', out.get('error'))}", flush=True)
    for name, batch in points:
        if WORKLOADS[name].kind == "mlp":
            floors[variant(name, batch).name] = measure("floor", name, batch, args)
    return results, floors


# ---- report ---------------------------------------------------------------------------------
def device_description() -> str:
    import cupy
    props = cupy.cuda.runtime.getDeviceProperties(0)
    name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
    return (f"{name}, CUDA runtime {cupy.cuda.runtime.runtimeGetVersion()}, "
            f"CuPy {cupy.__version__}")


def _median(runs: list, key: str) -> float | None:
    values = [m[key] for m in runs if key in m]
    return statistics.median(values) if values else None


def _cell(value: float | None, fmt: str = ",.0f") -> str:
    return "—" if value is None else format(value, fmt)


def markdown(results: dict, table: dict, floors: dict, command: str, tf32: bool) -> str:
    lines = [f"## GPU run of {datetime.date.today().isoformat()}", "",
             f"Device: {device_description()}; TF32 {'on' if tf32 else 'off'} in both  ",
             f"Command: `{command}`", "",
             "### Step time, median µs (lower is better); ratio lamina / PyTorch per round", "",
             "| workload | lamina | PyTorch | ratio median [min, max] | cuBLAS floor "
             "| lamina / floor |", "|---|---|---|---|---|---|"]
    for label, by_fw in results.items():
        mine = _median(by_fw.get("lamina", []), "median_us")
        theirs = _median(by_fw.get("torch", []), "median_us")
        r = table.get(label, {}).get("torch")
        ratio = f"{r['median']:.2f} [{r['min']:.2f}, {r['max']:.2f}]" if r else "—"
        floor = floors.get(label, {}).get("median_us")
        over = f"{mine / floor:.2f}x" if mine and floor else "—"
        lines.append(f"| {label} | {_cell(mine)} | {_cell(theirs)} | {ratio} | "
                     f"{_cell(floor)} | {over} |")
    lines += ["", "### First step (trace + compile), ms", "", "| workload | lamina | PyTorch |",
              "|---|---|---|"]
    for label, by_fw in results.items():
        firsts = [_cell(_median(by_fw.get(f, []), "first_step_ms"), ".1f") for f in FRAMEWORKS]
        lines.append(f"| {label} | " + " | ".join(firsts) + " |")
    return "\n".join(lines) + "\n"


GPU_HEADER = "# GPU benchmark results\n\nNewest run first (python -m benchmarks.gpu).\n\n"


# ---- command line ---------------------------------------------------------------------------
def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workloads", default=",".join(GPU_WORKLOADS))
    parser.add_argument("--batches", default=f"own,{BIG_BATCH}",
                        help="'own' (the workload's batch) and/or batch sizes, comma separated")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--quick", action="store_true", help="2 rounds of 0.3 s")
    parser.add_argument("--tf32", action="store_true", help="TF32 matrix products in both")
    parser.add_argument("--torch-python", default=sys.executable,
                        help="the interpreter with PyTorch (CUDA build); default: this one")
    parser.add_argument("--out", default=str(HERE / "GPU-RESULTS.md"))
    parser.add_argument("--worker", nargs=3, metavar=("FRAMEWORK", "WORKLOAD", "BATCH"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds = 2, 0.3
    args.workloads = args.workloads.split(",")
    args.batches = args.batches.split(",")
    for name in args.workloads:
        if name not in GPU_WORKLOADS:
            parser.error(f"unknown GPU workload {name!r}: expected one of {GPU_WORKLOADS}")
    for batch in args.batches:
        if batch != "own" and not (batch.isdigit() and int(batch) >= 1):
            parser.error(f"batch sizes must be 'own' or positive integers, received {batch!r}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.worker:
        framework, name, batch = args.worker
        print(json.dumps(worker(framework, name, batch, args.seconds, args.tf32)))
        return
    problem = gpu_problem()
    if problem is not None:
        print(f"benchmarks.gpu needs an NVIDIA GPU that lamina can use (CuPy); here: {problem}",
              file=sys.stderr)
        raise SystemExit(2)
    results, floors = run_rounds(args)
    table = ratios(results)
    command = "python -m benchmarks.gpu " + " ".join(sys.argv[1:] if argv is None else argv)
    raw = HERE / "out" / f"gpu-results-{datetime.date.today().isoformat()}.json"
    raw.parent.mkdir(exist_ok=True)
    raw.write_text(json.dumps({"results": results, "ratios": table, "floors": floors,
                               "device": device_description(), "tf32": args.tf32,
                               "command": command}, indent=1))
    report = markdown(results, table, floors, command, args.tf32)
    print(report)
    write_report(Path(args.out), report, GPU_HEADER)


if __name__ == "__main__":
    main()
