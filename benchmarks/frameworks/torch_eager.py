"""PyTorch eager: the same models with torch.nn, Adam (eps 1e-7 as Keras) and
cross-entropy."""
from __future__ import annotations

import torch

from ..workloads import Workload, mlp_init


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


def build(w: Workload):
    torch.set_num_threads(2)
    if w.kind not in ("mlp", "predict"):
        raise NotImplementedError(f"no torch model for {w.kind} yet")
    model = _mlp(w.sizes)
    x, y = (torch.from_numpy(a) for a in w.data())
    if w.kind == "predict":
        model.eval()

        def predict():
            with torch.no_grad():
                return model(x)
        return predict, (lambda: None)
    y = y.long()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step, (lambda: None)
