"""The MNIST, Fashion-MNIST and CIFAR-10 loaders, on small files in the original formats that
the tests write into a temporary cache (no network: the downloader is replaced)."""
import gzip
import hashlib
import io
import struct
import tarfile
import urllib.error

import numpy as np
import pytest

from lamina.datasets import (DatasetFormatError, DataUnavailableError, _cache, cifar10,
                             fashion_mnist, mnist)

IDX_NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    def offline(url, timeout=None):
        raise urllib.error.URLError("no network in tests")
    monkeypatch.setattr(_cache, "_urlopen", offline)
    monkeypatch.delenv(_cache.ENV_VAR, raising=False)


def _idx(magic: int, dims, data: bytes) -> bytes:
    return struct.pack(">I", magic) + struct.pack(f">{len(dims)}I", *dims) + data


def _write_gz(path, raw: bytes) -> None:
    path.write_bytes(gzip.compress(raw))


def _mnist_files(folder, n_train=5, n_test=3, seed=0):
    """Writes the four IDX files; returns the arrays they hold."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = []
    for n, (images_name, labels_name) in ((n_train, IDX_NAMES[:2]), (n_test, IDX_NAMES[2:])):
        x = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        y = rng.integers(0, 10, n, dtype=np.uint8)
        _write_gz(folder / images_name, _idx(0x803, (n, 28, 28), x.tobytes()))
        _write_gz(folder / labels_name, _idx(0x801, (n,), y.tobytes()))
        arrays.append((x, y))
    return arrays


def _check_split(loaded, expected):
    for (x, y), (ex, ey) in zip(loaded, expected):
        assert x.dtype == np.uint8 and y.dtype == np.uint8
        np.testing.assert_array_equal(x, ex)
        np.testing.assert_array_equal(y, ey)


@pytest.mark.parametrize("module, folder", [(mnist, "mnist"), (fashion_mnist, "fashion_mnist")])
def test_idx_loaders_read_the_cache(tmp_path, module, folder):
    expected = _mnist_files(tmp_path / folder)
    loaded = module.load_data(cache_dir=tmp_path)
    _check_split(loaded, expected)
    assert loaded[0][0].shape == (5, 28, 28) and loaded[1][1].shape == (3,)


def test_cache_folder_from_environment_and_path_argument(tmp_path, monkeypatch):
    expected = _mnist_files(tmp_path / "env" / "mnist")
    monkeypatch.setenv("LAMINA_DATA", str(tmp_path / "env"))
    _check_split(mnist.load_data(), expected)
    other = _mnist_files(tmp_path / "anywhere", seed=1)
    _check_split(mnist.load_data(path=tmp_path / "anywhere"), other)


def test_default_cache_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert _cache.dataset_dir("mnist") == tmp_path / ".lamina" / "datasets" / "mnist"


@pytest.mark.parametrize("name, raw, message", [
    (IDX_NAMES[0], _idx(0x801, (5, 28, 28), bytes(5 * 784)), "magic number is 0x00000801"),
    (IDX_NAMES[0], _idx(0x803, (5, 27, 28), bytes(5 * 27 * 28)), "27x28"),
    (IDX_NAMES[0], _idx(0x803, (5, 28, 28), bytes(5 * 784 - 1)), "truncated"),
    (IDX_NAMES[0], _idx(0x803, (5, 28, 28), bytes(5 * 784 + 3)), "trailing bytes"),
    (IDX_NAMES[0], b"\x00\x00\x08\x03\x00\x00", "header is truncated"),
    (IDX_NAMES[1], b"\x00\x00", "too few"),
    (IDX_NAMES[1], _idx(0x801, (5,), bytes([1, 2, 3, 4, 10])), "label 10"),
    (IDX_NAMES[1], _idx(0x801, (4,), bytes(4)), "4 labels for the 5 images"),
])
def test_idx_format_errors(tmp_path, name, raw, message):
    _mnist_files(tmp_path / "mnist")
    _write_gz(tmp_path / "mnist" / name, raw)
    with pytest.raises(DatasetFormatError, match=message) as info:
        mnist.load_data(cache_dir=tmp_path)
    assert "Delete it" in str(info.value)


def test_damaged_gzip_files(tmp_path):
    _mnist_files(tmp_path / "mnist")
    path = tmp_path / "mnist" / IDX_NAMES[2]
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetFormatError, match="not a complete gzip file"):
        mnist.load_data(cache_dir=tmp_path)
    path.write_bytes(b"plain text, not gzip")
    with pytest.raises(DatasetFormatError, match=str(path.name)):
        mnist.load_data(cache_dir=tmp_path)


def test_missing_files_without_network_name_files_folder_and_urls(tmp_path):
    _mnist_files(tmp_path / "mnist")
    (tmp_path / "mnist" / IDX_NAMES[3]).unlink()
    with pytest.raises(DataUnavailableError) as info:
        mnist.load_data(cache_dir=tmp_path)
    message = str(info.value)
    assert IDX_NAMES[3] in message and IDX_NAMES[0] not in message
    assert str(tmp_path / "mnist") in message
    assert "https://storage.googleapis.com/cvdf-datasets/mnist/t10k-labels-idx1-ubyte.gz" \
        in message
    assert "no network in tests" in message
    with pytest.raises(DataUnavailableError, match="cifar-10-binary.tar.gz"):
        cifar10.load_data(cache_dir=tmp_path)


def _serve(payloads, calls):
    def opener(url, timeout=None):
        calls.append((url, timeout))
        name = url.rsplit("/", 1)[-1]
        if name not in payloads:
            raise urllib.error.URLError("not found")
        return io.BytesIO(payloads[name])
    return opener


def test_download_checks_the_checksum_and_moves_files_into_place(tmp_path, monkeypatch):
    source = tmp_path / "source"
    expected = _mnist_files(source)
    payloads = {name: (source / name).read_bytes() for name in IDX_NAMES}
    files = tuple(_cache.RemoteFile(name, (f"https://example.org/{name}",),
                                    hashlib.sha256(payloads[name]).hexdigest())
                  for name in IDX_NAMES)
    monkeypatch.setattr(mnist, "FILES", files)
    calls = []
    monkeypatch.setattr(_cache, "_urlopen", _serve(payloads, calls))
    _check_split(mnist.load_data(cache_dir=tmp_path / "cache"), expected)
    assert len(calls) == 4 and all(timeout == _cache.DOWNLOAD_TIMEOUT for _, timeout in calls)
    assert sorted(p.name for p in (tmp_path / "cache" / "mnist").iterdir()) == sorted(IDX_NAMES)
    mnist.load_data(cache_dir=tmp_path / "cache")
    assert len(calls) == 4            # cached: nothing downloaded again


def test_download_with_a_wrong_checksum_is_discarded(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(_cache, "_urlopen", _serve({IDX_NAMES[0]: b"tampered"}, calls))
    with pytest.raises(DataUnavailableError, match="SHA-256") as info:
        mnist.load_data(cache_dir=tmp_path)
    assert "discarded" in str(info.value)
    assert list((tmp_path / "mnist").iterdir()) == []      # no partial or bad file left
    assert len(calls) == 2 * 4        # every mirror of every file was tried


def test_an_interrupted_download_leaves_no_file(tmp_path, monkeypatch):
    class Broken(io.BytesIO):
        def read(self, *args):
            raise ConnectionResetError("connection reset")

    monkeypatch.setattr(_cache, "_urlopen", lambda url, timeout=None: Broken())
    with pytest.raises(DataUnavailableError, match="connection reset"):
        fashion_mnist.load_data(cache_dir=tmp_path)
    assert list((tmp_path / "fashion_mnist").iterdir()) == []


def test_bad_path_arguments():
    with pytest.raises(TypeError, match="cache_dir"):
        mnist.load_data(cache_dir=3)
    with pytest.raises(TypeError, match="path"):
        cifar10.load_data(path=["x"])


# ---- CIFAR-10 ---------------------------------------------------------------------------------
def _cifar_batch(n, seed):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)     # HWC
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    records = np.concatenate([labels[:, None],
                              images.transpose(0, 3, 1, 2).reshape(n, -1)], axis=1)
    return records.tobytes(), images, labels


def _cifar_archive(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, raw in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))


def _cifar_files(folder, n=4, overrides=None, drop=()):
    folder.mkdir(parents=True, exist_ok=True)
    members, train = {}, []
    for i, name in enumerate((*cifar10.TRAIN_MEMBERS, cifar10.TEST_MEMBER)):
        raw, images, labels = _cifar_batch(n, seed=i)
        members[name] = raw
        train.append((images, labels))
    members[f"{cifar10.FOLDER}/batches.meta.txt"] = b"airplane\n"
    members.update(overrides or {})
    for name in drop:
        del members[name]
    _cifar_archive(folder / "cifar-10-binary.tar.gz", members)
    return train


def test_cifar10_reads_the_binary_archive_channels_last(tmp_path):
    batches = _cifar_files(tmp_path / "cifar10")
    (x_train, y_train), (x_test, y_test) = cifar10.load_data(cache_dir=tmp_path)
    assert x_train.shape == (20, 32, 32, 3) and y_train.shape == (20, 1)
    assert x_test.shape == (4, 32, 32, 3) and y_test.shape == (4, 1)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    np.testing.assert_array_equal(x_train, np.concatenate([b[0] for b in batches[:5]]))
    np.testing.assert_array_equal(y_train[:, 0], np.concatenate([b[1] for b in batches[:5]]))
    np.testing.assert_array_equal(x_test, batches[5][0])


def test_cifar10_pixel_layout():
    # One record: label 3, red plane all 1, green all 2, blue all 3.
    raw = bytes([3]) + bytes([1]) * 1024 + bytes([2]) * 1024 + bytes([3]) * 1024
    images, labels = cifar10.parse_batch(raw, "a.tar.gz", "b.bin")
    assert labels.tolist() == [[3]]
    assert images[0, 5, 7].tolist() == [1, 2, 3]


@pytest.mark.parametrize("kwargs, message", [
    ({"drop": (cifar10.TEST_MEMBER,)}, "lacks"),
    ({"overrides": {cifar10.TEST_MEMBER: b"\x00" * 3000}}, "not a whole number"),
    ({"overrides": {cifar10.TEST_MEMBER: b""}}, "not a whole number"),
    ({"overrides": {cifar10.TEST_MEMBER: bytes([10]) + bytes(3072)}}, "label 10"),
])
def test_cifar10_format_errors(tmp_path, kwargs, message):
    _cifar_files(tmp_path / "cifar10", **kwargs)
    with pytest.raises(DatasetFormatError, match=message):
        cifar10.load_data(cache_dir=tmp_path)


def test_cifar10_truncated_archive(tmp_path):
    _cifar_files(tmp_path / "cifar10")
    path = tmp_path / "cifar10" / "cifar-10-binary.tar.gz"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetFormatError, match="not a complete .tar.gz"):
        cifar10.load_data(cache_dir=tmp_path)


def test_cifar10_rejects_links_in_place_of_batches(tmp_path):
    folder = tmp_path / "cifar10"
    folder.mkdir()
    with tarfile.open(folder / "cifar-10-binary.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo(cifar10.TRAIN_MEMBERS[0])
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        tar.addfile(info)
    with pytest.raises(DatasetFormatError, match="not a regular file"):
        cifar10.load_data(cache_dir=tmp_path)
