"""Saving and loading whole models: the ``.lamina`` file (a zip archive) and its in-memory twin.

A ``.lamina`` file holds:

* ``config.json``: the model's class name and ``get_config()``, its compile config, the shape
  of the batch that built it (for subclassed models) and when/with what it was saved;
* ``model.weights.safetensors``: every weight, keyed by its place in the model (weights.py);
* ``optimizer.safetensors``: the optimizer's state (iterations, learning rate, slots), when
  the model was compiled;
* ``metadata.json``: the format version and the size and SHA-256 of every other member.

Loading checks the archive, the checksums, the config and the weights against the rebuilt
architecture before anything is used, and looks classes up only in lamina's registry (plus
``custom_objects``): nothing in a file is ever executed or unpickled.
"""
from __future__ import annotations

import datetime
import hashlib
import io
import json
import warnings
import zipfile
import zlib
from typing import Any

import numpy as np

from .. import serialization
from .files import as_path, atomic_write, check_writable
from .safetensors import FileFormatError, deserialize, serialize
from .weights import (assign_weights, optimizer_variables, restore_optimizer, values_of,
                      weight_paths, weight_problems)

FORMAT = "lamina.model"
FORMAT_VERSION = 1
CONFIG = "config.json"
WEIGHTS = "model.weights.safetensors"
OPTIMIZER = "optimizer.safetensors"
METADATA = "metadata.json"
_MAX_JSON_BYTES = 64 * 1024 * 1024
_MAX_DUMMY_ELEMENTS = 2 ** 27


# ---- saving -----------------------------------------------------------------------------------
def save_model(model: Any, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
    """Saves ``model`` (architecture, weights, compile config, optimizer state) to a
    ``.lamina`` file; an interrupted save leaves any previous file intact.

    Example:
        >>> model.save("model.lamina")
        >>> restored = lm.models.load_model("model.lamina")
    """
    if kwargs:
        raise TypeError(f"save got unexpected keyword argument(s) {sorted(kwargs)}; it takes "
                        "filepath and overwrite.")
    _check_model(model, "save")
    path = as_path(filepath, "save")
    if path.suffix != ".lamina":
        raise ValueError(f"Invalid filepath extension for saving: expected a name ending in "
                         f"'.lamina', received filepath={str(filepath)!r}. (To save only the "
                         "weights use model.save_weights('name.safetensors').)")
    check_writable(path, overwrite)
    members = archive_members(model)
    atomic_write(path, lambda stream: write_archive(stream, members))


def model_to_bytes(model: Any) -> bytes:
    """The bytes of the ``.lamina`` file of ``model`` (used by pickle and ``copy.deepcopy``).

    Example:
        >>> clone = model_from_bytes(model_to_bytes(model))
    """
    _check_model(model, "model_to_bytes")
    buffer = io.BytesIO()
    write_archive(buffer, archive_members(model))
    return buffer.getvalue()


def archive_members(model: Any) -> dict[str, bytes]:
    """The members of the archive, checksums last."""
    import lamina
    stamp = {"lamina_version": lamina.__version__,
             "date_saved": datetime.datetime.now(datetime.timezone.utc).isoformat(
                 timespec="seconds")}
    compile_config = _compile_config(model)
    config = {"class_name": type(model).__name__, "config": model.get_config(),
              "compile_config": compile_config,
              "build_input_shape": _shape_spec(getattr(model, "_build_input_shape", None)),
              "metadata": stamp}
    members = {CONFIG: _json_bytes(config, model),
               WEIGHTS: serialize(values_of(weight_paths(model)),
                                  {"format": "lamina", "content": "weights"})}
    optimizer = model.optimizer
    if compile_config is not None and optimizer is not None:
        members[OPTIMIZER] = serialize(values_of(optimizer_variables(optimizer, model)),
                                       {"format": "lamina", "content": "optimizer"})
    listing = {name: {"size": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}
               for name, raw in members.items()}
    metadata = {"format": FORMAT, "format_version": FORMAT_VERSION, **stamp,
                "members": listing}
    members[METADATA] = json.dumps(metadata, indent=1).encode("utf-8")
    return members


def write_archive(stream: Any, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(stream, "w") as archive:
        for name, raw in members.items():
            # Weights barely compress; JSON does.
            method = zipfile.ZIP_DEFLATED if name.endswith(".json") else zipfile.ZIP_STORED
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), raw,
                             compress_type=method)


def _check_model(model: Any, what: str) -> None:
    from ..models.model import Model
    if not isinstance(model, Model):
        raise TypeError(f"{what} expects an lm.Model, received {type(model).__name__}.")


def _compile_config(model: Any) -> dict | None:
    """The compile config, or None for a model never compiled for training (or one whose
    loss/metrics cannot be saved, with a warning)."""
    trainer = model._trainer
    if trainer is None or (trainer.optimizer is None and trainer.loss is None):
        return None
    try:
        config = model.get_compile_config()
        json.dumps(config)
    except (TypeError, ValueError) as exc:
        warnings.warn(f"Model {model.name!r} is saved without its compile config, which cannot "
                      f"be serialized ({exc}). Load it with compile=False and compile it "
                      "again.", stacklevel=4)
        return None
    return config


def _shape_spec(shapes: Any) -> Any:
    """Shapes (tuples, possibly nested in lists/dicts) as JSON lists."""
    if shapes is None:
        return None
    if isinstance(shapes, dict):
        return {str(k): _shape_spec(v) for k, v in shapes.items()}
    if isinstance(shapes, (list, tuple)) and all(d is None or isinstance(d, (int, np.integer))
                                                 for d in shapes):
        return [None if d is None else int(d) for d in shapes]
    return [_shape_spec(s) for s in shapes]


def _json_bytes(config: dict, model: Any) -> bytes:
    def plain(value: Any) -> Any:
        if isinstance(value, np.generic):
            return value.item()
        raise TypeError(f"Cannot save model {model.name!r}: its config holds {value!r} "
                        f"({type(value).__name__}), which is not JSON data. Make get_config() "
                        "return plain numbers, strings, lists and dicts.")
    return json.dumps(config, default=plain).encode("utf-8")


# ---- loading ----------------------------------------------------------------------------------
def load_model(filepath: Any, custom_objects: dict | None = None, compile: bool = True) -> Any:
    """Loads a model saved with ``model.save`` (a ``.lamina`` file).

    Args:
        filepath: the ``.lamina`` file.
        custom_objects: ``{class name: class}`` for classes that are not registered with
            lamina (subclassed models and custom layers, losses, metrics).
        compile: restore the compile config and the optimizer state (training then goes on
            exactly where it stopped).

    Raises:
        FileFormatError: the file is truncated or corrupt, a checksum fails, or its weights do
            not fit the architecture its config describes.
        ValueError: the config names a class that is neither registered nor in
            ``custom_objects``.

    Example:
        >>> model = lm.models.load_model("model.lamina")
    """
    path = as_path(filepath, "load_model")
    if not path.is_file():
        raise FileNotFoundError(f"No model file at {path}.")
    members = read_archive(path.read_bytes(), str(path))
    return _rebuild(members, str(path), custom_objects, compile)


def model_from_bytes(data: bytes, custom_objects: dict | None = None,
                     compile: bool = True) -> Any:
    """The model whose ``.lamina`` bytes :func:`model_to_bytes` returned."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"model_from_bytes expects bytes, received {type(data).__name__}.")
    return _rebuild(read_archive(bytes(data), "<model bytes>"), "<model bytes>",
                    custom_objects, compile)


def read_archive(data: bytes, source: str) -> dict[str, bytes]:
    """The members of a ``.lamina`` archive, after checking sizes and SHA-256 checksums."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise FileFormatError(f"{source} is not a valid .lamina file: {exc} (it is truncated, "
                              "or not a zip archive).") from None
    with archive:
        names = set(archive.namelist())
        if METADATA not in names:
            raise FileFormatError(f"{source}: the archive has no {METADATA} member; it was not "
                                  "written by lamina or it is damaged.")
        listing = _check_metadata(_parse_json(_read_member(archive, METADATA, source),
                                              METADATA, source), source)
        unlisted = sorted(names - set(listing) - {METADATA})
        if unlisted:
            raise FileFormatError(f"{source}: the archive holds member(s) {unlisted} that its "
                                  f"{METADATA} does not list: the file was altered.")
        members = {}
        for name, expected in listing.items():
            if name not in names:
                raise FileFormatError(f"{source}: the member {name!r} is missing from the "
                                      "archive.")
            raw = _read_member(archive, name, source)
            _check_checksum(raw, expected, name, source)
            members[name] = raw
    return members


def _read_member(archive: zipfile.ZipFile, name: str, source: str) -> bytes:
    info = archive.getinfo(name)
    if name.endswith(".json") and info.file_size > _MAX_JSON_BYTES:
        raise FileFormatError(f"{source}: member {name!r} claims {info.file_size} bytes, too "
                              "large for a config.")
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise FileFormatError(f"{source}: cannot read member {name!r}: {exc} (the file is "
                              "damaged).") from None


def _parse_json(raw: bytes, name: str, source: str) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FileFormatError(f"{source}: {name} is not valid JSON: {exc}.") from None


def _check_metadata(metadata: Any, source: str) -> dict[str, dict]:
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise FileFormatError(f"{source}: {METADATA} does not describe a {FORMAT!r} file.")
    version = metadata.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        raise FileFormatError(f"{source}: format version {version!r} is not supported (this "
                              f"lamina reads versions 1 to {FORMAT_VERSION}; a newer lamina "
                              "may have written the file).")
    listing = metadata.get("members")
    if not isinstance(listing, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("sha256"), str) and
            isinstance(v.get("size"), int) for v in listing.values()):
        raise FileFormatError(f"{source}: {METADATA} must list each member with its 'size' and "
                              "'sha256'.")
    for required in (CONFIG, WEIGHTS):
        if required not in listing:
            raise FileFormatError(f"{source}: the archive has no {required} member.")
    return listing


def _check_checksum(raw: bytes, expected: dict, name: str, source: str) -> None:
    if len(raw) != expected["size"]:
        raise FileFormatError(f"{source}: member {name!r} is {len(raw)} bytes, {METADATA} "
                              f"says {expected['size']}: the file was altered or damaged.")
    digest = hashlib.sha256(raw).hexdigest()
    if digest != expected["sha256"]:
        raise FileFormatError(f"{source}: the SHA-256 of member {name!r} is {digest}, "
                              f"{METADATA} says {expected['sha256']}: the file was altered "
                              "or damaged.")


def _rebuild(members: dict[str, bytes], source: str, custom_objects: dict | None,
             compile: bool) -> Any:
    config = _parse_json(members[CONFIG], CONFIG, source)
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str) or \
            not isinstance(config.get("config"), dict):
        raise FileFormatError(f"{source}: {CONFIG} must hold 'class_name' and 'config'.")
    model = _deserialize_model(config, custom_objects, source)
    _build(model, config.get("build_input_shape"), source)
    tensors, _ = deserialize(members[WEIGHTS], f"{source} ({WEIGHTS})")
    problems = weight_problems(weight_paths(model), tensors)
    if problems:
        raise FileFormatError(f"{source}: the weights in {WEIGHTS} do not fit the architecture "
                              f"described by {CONFIG} (the file was altered or damaged):\n  "
                              + "\n  ".join(p for group in problems.values() for p in group))
    if tensors:
        assign_weights(model, tensors, source)
    compile_config = config.get("compile_config")
    if compile and compile_config is not None:
        _compile(model, compile_config, custom_objects, source)
        if OPTIMIZER in members and model.optimizer is not None:
            state, _ = deserialize(members[OPTIMIZER], f"{source} ({OPTIMIZER})")
            restore_optimizer(model.optimizer, model, state, source)
    return model


def _deserialize_model(config: dict, custom_objects: dict | None, source: str) -> Any:
    from ..models.model import Model
    spec = {"class_name": config["class_name"], "config": config["config"]}
    try:
        model = serialization.deserialize("layer", spec, custom_objects)
    except Exception as exc:  # a config that rebuilds nothing valid: say where it came from
        raise FileFormatError(f"{source}: cannot rebuild the model from {CONFIG}: "
                              f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(model, Model):
        raise FileFormatError(f"{source}: {CONFIG} describes a {type(model).__name__}, not a "
                              "model.")
    return model


def _build(model: Any, spec: Any, source: str) -> None:
    """Creates a subclassed model's weights by calling it on zeros shaped like the batch
    that first built it (functional and Sequential models are built by their configs)."""
    if model.built or spec is None:
        return
    from ..autodiff import no_grad
    dtype = model.dtype if model.dtype.startswith("float") else "float32"
    batch = _dummy_batch(spec, dtype, source, leading=True)
    try:
        with no_grad():
            model(batch, training=False)
    except Exception as exc:
        raise FileFormatError(f"{source}: cannot build model {model.name!r} by calling it on a "
                              f"batch shaped like the saved build_input_shape {spec}: "
                              f"{type(exc).__name__}: {exc}") from exc


def _dummy_batch(spec: Any, dtype: str, source: str, leading: bool) -> Any:
    if isinstance(spec, dict):
        return {k: _dummy_batch(v, dtype, source, leading) for k, v in spec.items()}
    if isinstance(spec, list) and all(d is None or _is_dim(d) for d in spec):
        shape = [1 if (d is None or (leading and i == 0)) else d for i, d in enumerate(spec)]
        if int(np.prod(shape, dtype=object)) > _MAX_DUMMY_ELEMENTS:
            raise FileFormatError(f"{source}: build_input_shape {spec} is implausibly large.")
        return np.zeros(shape, dtype=dtype)
    if isinstance(spec, list) and spec:
        return [_dummy_batch(s, dtype, source, leading) for s in spec]
    raise FileFormatError(f"{source}: build_input_shape must be a shape (a list of sizes) or "
                          f"a list/dict of shapes, received {spec!r}.")


def _is_dim(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _compile(model: Any, config: Any, custom_objects: dict | None, source: str) -> None:
    from ..training.trainer import Trainer
    if not isinstance(config, dict):
        raise FileFormatError(f"{source}: the compile config must be an object, received "
                              f"{config!r}.")
    try:
        model._trainer = Trainer.from_config(model, config, custom_objects)
    except Exception as exc:
        raise FileFormatError(f"{source}: cannot restore the compile config ({type(exc).__name__}"
                              f": {exc}). Load with compile=False and compile the model "
                              "again, or pass the missing objects in custom_objects.") from exc


# ---- weights only ---------------------------------------------------------------------------
def save_weights(model: Any, filepath: Any, overwrite: bool = True) -> None:
    """Saves ``model``'s weights to a ``.safetensors`` file (atomically).

    Example:
        >>> model.save_weights("model.safetensors")
    """
    from .safetensors import save_file
    _check_model(model, "save_weights")
    path = as_path(filepath, "save_weights")
    if not path.name.endswith(".safetensors"):
        raise ValueError(f"The filename must end in '.safetensors', received "
                         f"filepath={str(filepath)!r}. (To save the whole model use "
                         "model.save('name.lamina').)")
    if not model.weights:
        raise ValueError(f"Model {model.name!r} has no weights to save yet: build it first "
                         "(call it on a batch of data, or give it an lm.Input).")
    check_writable(path, overwrite)
    save_file(values_of(weight_paths(model)), path, {"format": "lamina", "content": "weights"})


def load_weights(model: Any, filepath: Any, skip_mismatch: bool = False) -> None:
    """Loads weights from a ``.safetensors`` file (or the weights of a ``.lamina`` file).

    Args:
        model: the model to load into (built, with the architecture that was saved).
        filepath: the file.
        skip_mismatch: leave layers whose weights are missing from the file or have another
            shape as they are (with a warning) instead of raising.

    Example:
        >>> model.load_weights("model.safetensors")
    """
    _check_model(model, "load_weights")
    path = as_path(filepath, "load_weights")
    if not path.is_file():
        raise FileNotFoundError(f"No weights file at {path}.")
    data = path.read_bytes()
    source = str(path)
    if path.suffix == ".lamina" or (path.suffix != ".safetensors" and data[:4] == b"PK\x03\x04"):
        data = read_archive(data, source)[WEIGHTS]
        source = f"{source} ({WEIGHTS})"
    tensors, _ = deserialize(data, source)
    assign_weights(model, tensors, source, skip_mismatch=skip_mismatch)
