"""Runs every op record (tests/ops/records_*.py) through the harness checks."""
import importlib
import pkgutil

import pytest

import lamina as lm
from lamina.graph.ir import STRUCTURAL
from lamina.ops.registry import REGISTRY
from tests import ops as ops_tests
from tests.ops import harness


def _load_records():
    records = []
    for info in pkgutil.iter_modules(ops_tests.__path__):
        if info.name.startswith("records_"):
            module = importlib.import_module(f"tests.ops.{info.name}")
            records.extend(module.RECORDS)
    return records


RECORDS = _load_records()
CASES = [(r, spec) for r in RECORDS for spec in r.inputs]
IDS = [f"{r.name}-{'x'.join(str(getattr(s, 'shape', s)) for s in spec)}-{i}"
       for i, (r, spec) in enumerate(CASES)]


def cases_with(flag=None):
    """The (record, spec) cases whose record has ``flag`` set (all cases for None)."""
    chosen = [(case, name) for case, name in zip(CASES, IDS)
              if flag is None or getattr(case[0], flag)]
    return pytest.mark.parametrize("record,spec", [case for case, _ in chosen],
                                   ids=[name for _, name in chosen])


@cases_with()
def test_forward(record, spec):
    harness.check_forward(record, harness.make_inputs(record, spec))


@cases_with("grad")
def test_gradient(record, spec):
    harness.check_grad(record, harness.make_inputs(record, spec))


@cases_with("grad2")
def test_second_order(record, spec):
    harness.check_grad2(record, harness.make_inputs(record, spec))


@cases_with("graph")
def test_graph_mode(record, spec):
    harness.check_graph(record, harness.make_inputs(record, spec))


@cases_with("graph")
def test_compiled(record, spec):
    harness.check_compiled(record, harness.make_inputs(record, spec))


# Primitives that are not functions of their inputs, each with a test file of its own.
DEDICATED = {"FusedOptimizerStep": "tests/test_fused_optimizers.py"}


def test_every_primitive_has_a_record():
    used = set()
    for record, spec in CASES:
        used |= harness.primitives_used(record, harness.make_inputs(record, spec))
    missing = sorted(set(REGISTRY) - used - STRUCTURAL - set(DEDICATED))
    assert not missing, f"primitives with no op record in tests/ops: {missing}"


API_FUNCTIONS = """
add subtract multiply divide floor_divide mod pow negative abs sign sqrt rsqrt square exp log
log1p expm1 sin cos tanh sigmoid relu leaky_relu elu selu gelu softplus softsign silu erf
maximum minimum clip where cast sum mean max min prod var std logsumexp argmax argmin all any
reshape transpose expand_dims squeeze concat stack split tile broadcast_to pad flip gather
one_hot matmul tensordot einsum norm __getitem__
nn.softmax nn.log_softmax nn.conv1d nn.conv2d nn.max_pool2d nn.avg_pool2d nn.dropout
nn.batch_normalization nn.sparse_softmax_cross_entropy_with_logits
nn.softmax_cross_entropy_with_logits nn.sigmoid_cross_entropy_with_logits nn.l2_normalize
""".split()


def test_every_api_function_has_a_record():
    named = {r.name for r in RECORDS}
    missing = [n for n in API_FUNCTIONS if n not in named]
    assert not missing, f"API functions with no op record in tests/ops: {missing}"


def test_every_api_function_exists():
    for name in API_FUNCTIONS:
        if name.startswith("__"):
            assert hasattr(lm.Tensor, name), name
            continue
        obj = lm
        for part in name.split("."):
            obj = getattr(obj, part)
        assert callable(obj), name
