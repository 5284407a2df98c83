"""lamina from several threads: each thread has its own execution state (graphs being built,
tapes, device scopes), a compiled plan runs one call at a time, and seeded estimator fits
draw their own streams, so threads give the numbers one thread gives."""
import copy
import pickle
import threading
import warnings

import numpy as np
import pytest

import lamina as lm
from lamina.ops.random import generator_for


def run_in_threads(*targets):
    errors = []

    def guard(target):
        try:
            target()
        except BaseException as exc:      # noqa: BLE001 (reported in the main thread)
            errors.append(exc)

    threads = [threading.Thread(target=guard, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive(), "a thread did not finish"
    if errors:
        raise errors[0]


def test_one_compiled_model_serves_several_threads_with_the_one_thread_numbers():
    """A plan's buffers are shared by its calls: concurrent calls take turns (BLAS and the
    kernels release the GIL, so they used to write into each other's intermediates)."""
    lm.utils.set_random_seed(0)
    model = lm.Sequential([lm.Input(shape=(64,)), lm.layers.Dense(256, activation="relu"),
                           lm.layers.Dense(10)])
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((128, 64)).astype(np.float32) for _ in range(2)]
    expected = [model.predict_on_batch(x) for x in xs]
    wrong = []

    def serve(k):
        for _ in range(200):
            if not np.array_equal(model.predict_on_batch(xs[k]), expected[k]):
                wrong.append(k)

    run_in_threads(lambda: serve(0), lambda: serve(1))
    assert wrong == []


def test_a_graph_built_in_one_thread_leaves_another_thread_eager():
    entered, done = threading.Event(), threading.Event()
    seen = {}

    def build():
        with lm.Graph().as_default():
            seen["building"] = lm.executing_eagerly()
            entered.set()
            done.wait(10)

    def compute():
        entered.wait(10)
        try:
            seen["eager"] = lm.executing_eagerly()
            seen["value"] = float((lm.tensor(1.5) + 1.0).numpy())
        finally:
            done.set()

    run_in_threads(build, compute)
    assert seen == {"building": False, "eager": True, "value": 2.5}


def test_graph_mode_switched_on_in_one_thread_holds_for_threads_started_later():
    seen = {}
    lm.disable_eager_execution()
    try:
        run_in_threads(lambda: seen.update(later=lm.executing_eagerly()))
    finally:
        lm.enable_eager_execution()
    run_in_threads(lambda: seen.update(after=lm.executing_eagerly()))
    assert seen == {"later": False, "after": True}


def test_seeded_streams_are_per_thread_and_leave_the_global_stream_alone():
    """Two threads drawing in turns inside their own seeded blocks get their seed's
    numbers; the global stream continues as if nothing had been drawn."""
    global_gen = generator_for(None)
    lm.random.seed(5)
    untouched = lm.random.normal((3,)).numpy()
    lm.random.seed(5)
    turns = [threading.Semaphore(1), threading.Semaphore(0)]
    got = {0: [], 1: []}

    def draw(k, seed):
        with global_gen._thread_seeded(seed):
            for _ in range(3):
                turns[k].acquire()
                got[k].append(float(lm.random.normal(()).numpy()))
                turns[1 - k].release()

    run_in_threads(lambda: draw(0, 11), lambda: draw(1, 12))
    for k, seed in ((0, 11), (1, 12)):
        with global_gen._thread_seeded(seed):
            assert got[k] == [float(lm.random.normal(()).numpy()) for _ in range(3)]
    np.testing.assert_array_equal(lm.random.normal((3,)).numpy(), untouched)


def test_generators_copy_and_pickle_without_their_thread_streams():
    gen = lm.random.Generator(3)
    for clone in (copy.deepcopy(gen), pickle.loads(pickle.dumps(gen))):
        np.testing.assert_array_equal(clone.normal((4,)).numpy(), lm.random.Generator(3)
                                      .normal((4,)).numpy())


def test_estimators_fitted_in_threads_score_as_fitted_one_by_one():
    pytest.importorskip("sklearn")
    from joblib import parallel_backend
    from sklearn.datasets import load_iris
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import cross_val_score
    X, y = load_iris(return_X_y=True)
    clf = lm.wrappers.MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with parallel_backend("threading", n_jobs=2):
            threaded = cross_val_score(clf, X, y, cv=4, error_score="raise")
        single = cross_val_score(clf, X, y, cv=4, error_score="raise")
    np.testing.assert_array_equal(threaded, single)


def test_a_training_call_in_one_thread_leaves_another_threads_layers_in_inference():
    entered, done = threading.Event(), threading.Event()
    seen = {}
    from lamina.layers.base import training_scope

    def train():
        with training_scope(True):
            entered.set()
            done.wait(10)

    def infer():
        entered.wait(10)
        try:
            x = lm.ones((4, 1000))
            seen["same"] = bool(np.array_equal(lm.layers.Dropout(0.5)(x).numpy(), x.numpy()))
        finally:
            done.set()

    run_in_threads(train, infer)
    assert seen == {"same": True}


def test_reseeding_inside_a_seeded_block_reseeds_that_block_only():
    gen = generator_for(None)
    lm.random.seed(7)
    untouched = lm.random.normal((2,)).numpy()
    lm.random.seed(7)
    with gen._thread_seeded(1):
        lm.random.seed(3)
        a = lm.random.normal((2,)).numpy()
        lm.random.seed(3)
        b = lm.random.normal((2,)).numpy()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(lm.random.normal((2,)).numpy(), untouched)
    lm.random.seed(7)


def test_each_thread_has_its_own_default_session():
    from lamina.graph.session import _current_session
    g = lm.Graph()
    with g.as_default():
        c = lm.constant(2.0) * 3.0
    opened, done = threading.Event(), threading.Event()
    seen = {}

    def hold():
        with lm.Session(graph=lm.Graph()):
            opened.set()
            done.wait(10)

    def use():
        opened.wait(10)
        try:
            with lm.Session(graph=g):
                seen["value"] = float(_current_session().run(c))
        finally:
            done.set()

    run_in_threads(hold, use)
    assert seen == {"value": 6.0}


def test_first_calls_from_two_threads_trace_a_function_once():
    created = []
    start = threading.Barrier(2)

    @lm.function
    def f(x):
        if not created:
            created.append(lm.Variable(1.0))
        return x * created[0]

    def call():
        start.wait(10)
        f(lm.tensor(2.0))

    run_in_threads(call, call)
    assert f.experimental_get_tracing_count() == 1
