"""Weights and optimizer state as named arrays: the keys, collecting them and restoring them.

Every weight is keyed by its place in the tree of layers, not by its (auto-numbered) name:
``layers/dense_1/vars/0`` is the first weight of the second Dense layer held by the model
(layer classes in snake case, numbered among siblings). A model rebuilt from the same code gets
the same keys, so weights load into it even when its layers were named ``dense_7``...

Optimizer state is keyed by what it belongs to: ``iterations``, ``learning_rate``, and
``slots/<weight key>/<slot name>`` (``slots/layers/dense/vars/0/m`` is Adam's first moment of
that weight).
"""
from __future__ import annotations

import re
import warnings
from typing import Any, Mapping

import numpy as np

from ..layers.base import snake_case
from ..tensor import Variable, _fmt_shape
from .safetensors import FileFormatError


def weight_paths(model: Any) -> dict[str, Variable]:
    """``{key: variable}`` for every weight of ``model``, in ``model.weights`` order."""
    found: dict[str, Variable] = {}
    _walk(model, "", found, set())
    order = {id(w): i for i, w in enumerate(model.weights)}
    return dict(sorted(found.items(), key=lambda item: order.get(id(item[1]), len(order))))


def _walk(layer: Any, prefix: str, found: dict[str, Variable], seen: set[int]) -> None:
    for i, var in enumerate(layer._weights):
        if id(var) not in seen:
            seen.add(id(var))
            found[f"{prefix}vars/{i}"] = var
    counts: dict[str, int] = {}
    for child in layer._layers:
        base = snake_case(type(child).__name__)
        count = counts.get(base, 0)
        counts[base] = count + 1
        name = base if count == 0 else f"{base}_{count}"
        _walk(child, f"{prefix}layers/{name}/", found, seen)


def values_of(variables: Mapping[str, Variable]) -> dict[str, np.ndarray]:
    return {key: var.numpy() for key, var in variables.items()}


# ---- restoring weights --------------------------------------------------------------------------
_VAR_SUFFIX = re.compile(r"vars/\d+$")


def _owner(key: str) -> str:
    """The layer part of a weight key (``layers/dense/vars/1`` -> ``layers/dense/``)."""
    return _VAR_SUFFIX.sub("", key)


def weight_problems(targets: Mapping[str, Variable], tensors: Mapping[str, np.ndarray]
                    ) -> dict[str, list[str]]:
    """What keeps ``tensors`` from loading into the weights ``targets``, per layer key: missing
    weights, unexpected ones, wrong shapes or dtypes (empty when they fit)."""
    problems: dict[str, list[str]] = {}
    for key, var in targets.items():
        problem = _weight_problem(key, var, tensors)
        if problem:
            problems.setdefault(_owner(key), []).append(problem)
    for key in tensors:
        if key not in targets:
            problems.setdefault(_owner(key), []).append(
                f"{key}: the file has this weight but the model does not")
    return problems


def assign_weights(model: Any, tensors: Mapping[str, np.ndarray], source: str,
                   skip_mismatch: bool = False) -> None:
    """Sets ``model``'s weights from ``tensors`` (key -> array), all or nothing.

    Every problem (a missing weight, an unexpected one, a wrong shape) is collected; without
    ``skip_mismatch`` they are reported together and no weight changes. With it, the layers
    concerned keep their weights (with a warning) and the others are loaded.
    """
    if not model.weights:
        raise ValueError(f"Model {model.name!r} has no weights yet, so {source} cannot be "
                         "loaded into it: build it first (call it on a batch of data, or give it "
                         "an lm.Input).")
    targets = weight_paths(model)
    problems = weight_problems(targets, tensors)
    if problems and not skip_mismatch:
        raise ValueError(f"Cannot load the weights of {source} into model {model.name!r} "
                         f"({len(targets)} weights; the file has {len(tensors)}):\n  "
                         + "\n  ".join(p for group in problems.values() for p in group)
                         + "\nPass skip_mismatch=True to load the layers that match.")
    for owner, group in problems.items():
        warnings.warn(f"Skipping the weights of layer {owner or '<model>'!r} from {source}: "
                      + "; ".join(group), stacklevel=3)
    for key, var in targets.items():
        if _owner(key) not in problems:
            var.assign(np.asarray(tensors[key], dtype=var.dtype.np))


def _weight_problem(key: str, var: Variable, tensors: Mapping[str, np.ndarray]) -> str | None:
    if key not in tensors:
        return f"{key} ({var._name}): missing from the file"
    value = tensors[key]
    want = tuple(var.shape)
    if value.shape != want:
        return (f"{key} ({var._name}): the model expects shape {_fmt_shape(want)}, the file "
                f"has {_fmt_shape(value.shape)}")
    if not np.can_cast(value.dtype, var.dtype.np, casting="same_kind"):
        return (f"{key} ({var._name}): the model expects dtype {var.dtype.name}, the file has "
                f"{value.dtype}")
    return None


# ---- optimizer state ----------------------------------------------------------------------------
def optimizer_variables(optimizer: Any, model: Any) -> dict[str, Variable]:
    """``{key: variable}`` for every variable of ``optimizer`` (see the module docstring)."""
    slot_keys: dict[int, str] = {}
    names = optimizer.get_slot_names()
    for key, var in weight_paths(model).items():
        for name in names:
            try:
                slot = optimizer.get_slot(var, name)
            except KeyError:
                continue
            slot_keys[id(slot)] = f"slots/{key}/{name}"
    out: dict[str, Variable] = {}
    others = 0
    for var in optimizer.variables:
        if var is optimizer.iterations:
            key = "iterations"
        elif var is getattr(optimizer, "_learning_rate", None):
            key = "learning_rate"
        elif id(var) in slot_keys:
            key = slot_keys[id(var)]
        else:   # state that belongs to no weight of this model (kept by position)
            key = f"variables/{others}"
            others += 1
        out[key] = var
    return out


def restore_optimizer(optimizer: Any, model: Any, tensors: Mapping[str, np.ndarray],
                      source: str) -> None:
    """Sets ``optimizer``'s state from ``tensors``, first creating the slots the saved
    optimizer had, so that training continues exactly where it stopped.

    A slot the file lacks keeps its initial value: the saved optimizer had not created it yet,
    and would have created it with that value at its next step.
    """
    weights = weight_paths(model)
    slot_keys = [key for key in tensors if key.startswith("slots/")]
    if slot_keys and not optimizer.built:
        optimizer.build(model.trainable_variables)
    for key in slot_keys:
        owner = weights.get(key[len("slots/"):].rpartition("/")[0])
        if owner is not None:
            optimizer._ensure_slots(owner)
    targets = optimizer_variables(optimizer, model)
    problems = [f"{k}: missing from the file" for k in targets
                if k not in tensors and not k.startswith("slots/")]
    problems += [f"{k}: the file has this state but the optimizer does not"
                 for k in tensors if k not in targets]
    for key in set(targets) & set(tensors):
        want, got = tuple(targets[key].shape), tensors[key].shape
        if want != got:
            problems.append(f"{key}: expected shape {_fmt_shape(want)}, the file has "
                            f"{_fmt_shape(got)}")
    if problems:
        raise FileFormatError(f"{source}: the optimizer state does not match the optimizer "
                              f"{type(optimizer).__name__} of model {model.name!r}:\n  "
                              + "\n  ".join(problems))
    for key, var in targets.items():
        if key in tensors:
            var.assign(np.asarray(tensors[key], dtype=var.dtype.np))
