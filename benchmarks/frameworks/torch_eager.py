"""PyTorch eager: the same models with torch.nn, Adam (eps 1e-7 as Keras) and
cross-entropy, trained in a plain loop over ``per_call`` batches."""
from __future__ import annotations

import numpy as np
import torch

from ..workloads import Workload, mlp_init, repeated


def _mlp(sizes):
    layers = []
    params = mlp_init(sizes)
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        lin = torch.nn.Linear(fan_in, fan_out)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(params[2 * i].T.copy()))
            lin.bias.copy_(torch.from_numpy(params[2 * i + 1]))
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


class _Cnn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = torch.nn.Conv2d(1, 32, 3)
        self.c2 = torch.nn.Conv2d(32, 64, 3)
        self.d1 = torch.nn.Linear(64 * 5 * 5, 128)
        self.d2 = torch.nn.Linear(128, 10)

    def forward(self, x):                      # x: NHWC like the other frameworks' data
        x = x.permute(0, 3, 1, 2)
        x = torch.nn.functional.max_pool2d(torch.relu(self.c1(x)), 2)
        x = torch.nn.functional.max_pool2d(torch.relu(self.c2(x)), 2)
        return self.d2(torch.relu(self.d1(x.flatten(1))))


class _Lstm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(64, 64)
        self.lstm = torch.nn.LSTM(64, 128, batch_first=True)
        self.dense = torch.nn.Linear(128, 64)

    def forward(self, x):
        out, _ = self.lstm(self.embed(x))
        return self.dense(out[:, -1])


def make_model(w: Workload) -> torch.nn.Module:
    """The workload's model (on the CPU)."""
    if w.kind not in ("mlp", "predict", "cnn", "lstm"):
        raise NotImplementedError(f"no PyTorch model for {w.kind}")
    return {"mlp": lambda: _mlp(w.sizes), "predict": lambda: _mlp(w.sizes), "cnn": _Cnn,
            "lstm": _Lstm}[w.kind]()


def training_parts(model: torch.nn.Module, w: Workload) -> tuple[list, object, object]:
    """One timed call's batches (CPU tensors), Adam (eps 1e-7, as Keras) and the loss."""
    xs, ys = repeated(w)
    batches = [(torch.from_numpy(np.ascontiguousarray(xs[i:i + w.batch])),
                torch.from_numpy(ys[i:i + w.batch].astype(np.int64)))
               for i in range(0, len(xs), w.batch)]
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    return batches, opt, torch.nn.CrossEntropyLoss()


def build(w: Workload):
    torch.set_num_threads(2)
    torch.manual_seed(0)
    model = make_model(w)
    if w.kind == "predict":
        x = torch.from_numpy(w.data()[0])
        model.eval()

        def predict():
            with torch.no_grad():
                return model(x)
        return predict, (lambda: None), 1
    batches, opt, loss_fn = training_parts(model, w)

    def epoch():
        for x, y in batches:
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()

    return epoch, (lambda: None), w.per_call
