"""checker.data: the embedded default dataset, the real-data (news) path, the dataset files."""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from nlp100_ch08.data import CLASSES, Dataset, DatasetError, cache_dir, load_dataset, load_dataset_file, save_dataset
from nlp100_ch08.data import default as default_mod
from nlp100_ch08.data import news

TARGET = dict(zip(CLASSES, default_mod.SHARES))


@pytest.fixture(scope="module")
def ds():
    return load_dataset("default")


# -- default data ------------------------------------------------------------------------


def test_default_is_deterministic_in_process(ds):
    again = default_mod.make_default()
    assert again.checksum() == ds.checksum()
    for key in ("X_train", "y_train", "X_valid", "y_valid", "X_test", "y_test"):
        assert torch.equal(getattr(again, key), getattr(ds, key)), key


def test_default_is_deterministic_across_processes(ds):
    code = "from nlp100_ch08.data import load_dataset; print(load_dataset('default').checksum())"
    env = {**os.environ, "PYTHONHASHSEED": "12345", "OMP_NUM_THREADS": "3"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300, check=True)
    assert out.stdout.strip() == ds.checksum()


def test_default_shapes_and_dtypes(ds):
    assert ds.name == "default" and ds.version == default_mod.VERSION
    assert ds.classes == ["b", "e", "t", "m"]
    for split in ("train", "valid", "test"):
        X, y = getattr(ds, f"X_{split}"), getattr(ds, f"y_{split}")
        assert X.dtype == torch.float32 and X.dim() == 2 and X.shape[1] == 300
        assert y.dtype == torch.int64 and y.shape == (X.shape[0],)
        assert torch.isfinite(X).all()
        assert int(y.min()) >= 0 and int(y.max()) <= 3
        assert X.is_contiguous()


def test_default_sizes(ds):
    n = ds.sizes()
    assert 2000 <= n["train"] <= 4000
    total = sum(n.values())
    assert abs(n["train"] / total - 0.8) < 0.02
    assert abs(n["valid"] / total - 0.1) < 0.02 and abs(n["test"] / total - 0.1) < 0.02


@pytest.mark.parametrize("split", ["train", "valid", "test"])
def test_default_balance(ds, split):
    y = getattr(ds, f"y_{split}")
    shares = torch.bincount(y, minlength=4).double() / len(y)
    for k, c in enumerate(ds.classes):
        assert abs(shares[k].item() - TARGET[c]) < 0.02, (c, shares.tolist())


def test_default_looks_like_averaged_word_vectors(ds):
    X = ds.X_train
    assert 0.05 < X.std().item() < 0.35
    assert X.abs().mean().item() < 0.3
    assert X.abs().max().item() < 2.0
    # no two rows alike, no constant columns
    assert torch.unique(X, dim=0).shape[0] == X.shape[0]
    assert (X.std(dim=0) > 0.01).all()


def test_default_splits_are_disjoint(ds):
    rows = {tuple(r.tolist()[:8]) for r in ds.X_train}
    assert not any(tuple(r.tolist()[:8]) in rows for r in ds.X_test)


def test_default_other_seed_differs(ds):
    other = default_mod.make_default(seed=7)
    assert other.checksum() != ds.checksum()
    assert other.version != ds.version
    assert other.sizes() == ds.sizes()


def test_default_describe(ds):
    d = ds.describe()
    assert set(d) == {"name", "version", "checksum", "sizes", "d", "classes"}
    assert d["name"] == "default" and d["d"] == 300 and d["classes"] == ["b", "e", "t", "m"]
    assert d["sizes"] == {"train": len(ds.y_train), "valid": len(ds.y_valid), "test": len(ds.y_test)}
    assert len(d["checksum"]) == 64 and d["checksum"] == ds.checksum()


def test_checksum_covers_data_and_identity(ds):
    base = ds.checksum()
    X = ds.X_train.clone()
    X[0, 0] = torch.nextafter(X[0, 0], torch.tensor(1.0))
    changed = Dataset(ds.name, ds.version, X, ds.y_train, ds.X_valid, ds.y_valid, ds.X_test, ds.y_test)
    assert changed.checksum() != base
    renamed = Dataset("other", ds.version, ds.X_train, ds.y_train, ds.X_valid, ds.y_valid, ds.X_test, ds.y_test)
    assert renamed.checksum() != base
    # meta is provenance, not data
    same = Dataset(
        ds.name, ds.version, ds.X_train, ds.y_train, ds.X_valid, ds.y_valid, ds.X_test, ds.y_test, meta={"anything": 1}
    )
    assert same.checksum() == base


def test_default_class_counts_rounding():
    for n in (1, 7, 100, 399, 400, 401, 3200):
        c = default_mod.class_counts(n)
        assert sum(c) == n and all(x >= 0 for x in c)
        assert all(abs(x - n * s) < 1 for x, s in zip(c, default_mod.SHARES))


def test_dataset_rejects_bad_tensors(ds):
    with pytest.raises(DatasetError):
        Dataset("x", "1", ds.X_train.double(), ds.y_train, ds.X_valid, ds.y_valid, ds.X_test, ds.y_test)
    with pytest.raises(DatasetError):
        Dataset("x", "1", ds.X_train, ds.y_train[:-1], ds.X_valid, ds.y_valid, ds.X_test, ds.y_test)
    with pytest.raises(DatasetError):
        Dataset("x", "1", ds.X_train, ds.y_train, ds.X_valid[:, :10], ds.y_valid, ds.X_test, ds.y_test)
    with pytest.raises(DatasetError):
        Dataset("x", "1", ds.X_train, ds.y_train + 4, ds.X_valid, ds.y_valid, ds.X_test, ds.y_test)


# -- dataset files ---------------------------------------------------------------------


def test_save_load_round_trip(ds, tmp_path):
    p = save_dataset(ds, tmp_path / "sub" / "d.pt")
    back = load_dataset(str(p))
    assert back.checksum() == ds.checksum() and back.describe() == ds.describe()
    assert load_dataset(p).checksum() == ds.checksum()  # a Path works too
    assert not list((tmp_path / "sub").glob(".*tmp"))


def test_load_rejects_foreign_and_damaged_files(ds, tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a torch file")
    with pytest.raises(DatasetError, match="not a dataset file"):
        load_dataset_file(junk)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, other)
    with pytest.raises(DatasetError, match="not a dataset file"):
        load_dataset_file(other)
    # a pickle that would run code is refused by weights_only loading
    evil = tmp_path / "evil.pt"
    torch.save({"format": "nlp100-checker-dataset", "x": _Boom()}, evil)
    with pytest.raises(DatasetError):
        load_dataset_file(evil)
    # tampered tensors fail the stored checksum
    p = save_dataset(ds, tmp_path / "d.pt")
    blob = torch.load(p, weights_only=True)
    blob["y_test"] = blob["y_test"].flip(0)
    torch.save(blob, p)
    with pytest.raises(DatasetError, match="checksum"):
        load_dataset_file(p)


class _Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_load_dataset_unknown_name():
    with pytest.raises(DatasetError, match="unknown dataset"):
        load_dataset("no-such-dataset")


def test_cache_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.delenv("NLP100_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "nlp100-checker"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "nlp100-checker"
    monkeypatch.setenv("NLP100_CACHE", str(tmp_path / "env"))
    assert cache_dir() == tmp_path / "env"
    assert cache_dir(tmp_path / "arg") == tmp_path / "arg"


# -- reading the ch.6 split ------------------------------------------------------------

MESSY_SPLIT = (
    "\ufeffb\tStocks rally as Fed holds rates\r\n"  # BOM + CRLF
    "e\tKanye West's new album\r\n"
    "\r\n"  # blank line: ignored, not counted
    "no tab in this line at all\n"  # skipped
    "x\tUnknown category here\n"  # skipped
    "t\t   \n"  # empty title: skipped
    "m\tEbola\tspreads in West Africa\n"  # extra tab: title is everything after the first
    "  T \t Google unveils glasses  \n"  # category case / spaces tolerated
    "\tno category\n"  # skipped
    "   \n"
    "b\tLast line without newline"
)


def test_read_split_tolerates_malformed_rows(tmp_path):
    p = tmp_path / "train.txt"
    p.write_bytes(MESSY_SPLIT.encode("utf-8"))
    labels, titles, skipped = news.read_split(p)
    assert labels == ["b", "e", "m", "t", "b"]
    assert titles == [
        "Stocks rally as Fed holds rates",
        "Kanye West's new album",
        "Ebola\tspreads in West Africa",
        "Google unveils glasses",
        "Last line without newline",
    ]
    assert skipped == 4


def test_read_split_bad_bytes_do_not_crash(tmp_path):
    p = tmp_path / "x.txt"
    p.write_bytes(b"b\tCaf\xe9 prices soar\ne\tfine\n")
    labels, titles, skipped = news.read_split(p)
    assert labels == ["b", "e"] and skipped == 0 and titles[0].startswith("Caf")


def _split_dir(root: Path, rows: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for s, text in rows.items():
        (root / f"{s}.txt").write_text(text, encoding="utf-8", newline="")
    return root


def test_read_split_dir(tmp_path):
    d = _split_dir(tmp_path / "split", {"train": MESSY_SPLIT, "valid": "e\tA film\n", "test": "t\tA phone\nbad\n"})
    c = news.read_corpus(d)
    assert c.kind == "split-dir"
    assert {s: len(c.splits[s]) for s in news.SPLITS} == {"train": 5, "valid": 1, "test": 1}
    assert c.skipped == {"train": 4, "valid": 0, "test": 1} and c.total_skipped == 5
    (d / "test.txt").unlink()
    with pytest.raises(DatasetError, match="test.txt"):
        news.read_corpus(d)


# -- reading the UCI corpus ------------------------------------------------------------


def _corpus_rows(n_keep: int = 40) -> tuple[str, list[tuple[str, str]]]:
    """A tiny newsCorpora.csv: kept rows, rows of other publishers, malformed rows."""
    pubs = list(news.PUBLISHERS)
    kept, lines = [], []
    for i in range(n_keep):
        cat = "betm"[i % 4]
        title = f"Headline number {i} about {['money', 'movies', 'phones', 'health'][i % 4]}"
        lines.append(f"{i}\t{title}\thttp://x/{i}\t{pubs[i % 5]}\t{cat}\tstory{i}\tx.com\t139{i:010d}")
        kept.append((cat, title))
    for i in range(15):  # other publishers: dropped
        lines.append(f"{100 + i}\tOther title {i}\thttp://y\tLos Angeles Times\tb\ts\ty.com\t1394000000000")
    lines.append("200\tReuters row too short\tReuters\tb")  # malformed: skipped
    lines.append("201\tBad category\thttp://z\tReuters\tq\ts\tz.com\t1394000000000")  # skipped
    lines.append("202\t  \thttp://z\tReuters\tb\ts\tz.com\t1394000000000")  # empty title: skipped
    lines.append("")
    lines.append("203\tTab\tinside title\thttp://z\tDaily Mail\tm\ts\tz.com\t1394000000000")  # rejoined
    kept.append(("m", "Tab\tinside title"))
    return "\r\n".join(lines) + "\r\n", kept


def test_parse_news_corpus_filters_and_counts():
    text, kept = _corpus_rows()
    labels, titles, skipped, dropped = news.parse_news_corpus("\ufeff" + text)
    assert list(zip(labels, titles)) == kept
    assert skipped == 3 and dropped == 15


@pytest.mark.parametrize("as_zip", [False, True])
def test_read_news_corpus_csv_and_zip(tmp_path, as_zip):
    text, kept = _corpus_rows()
    if as_zip:
        path = tmp_path / "NewsAggregatorDataset.zip"
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("2pageSessions.csv", "not this one\n")
            z.writestr("__MACOSX/._newsCorpora.csv", b"\x00\x05junk")
            z.writestr("newsCorpora.csv", text.encode("utf-8"))
            z.writestr("readme.txt", "x")
    else:
        path = tmp_path / "newsCorpora.csv"
        path.write_bytes(text.encode("utf-8"))
    c = news.read_corpus(path)
    n = len(kept)
    assert c.kind == "news-corpus" and c.skipped == {"corpus": 3} and c.dropped_publishers == 15
    sizes = {s: len(c.splits[s]) for s in news.SPLITS}
    assert sizes == {"train": n - 2 * (n // 10), "valid": n // 10, "test": n // 10}
    got = sorted(p for s in news.SPLITS for p in zip(c.splits[s].labels, c.splits[s].titles))
    assert got == sorted(kept)
    assert not any("Other title" in t for s in news.SPLITS for t in c.splits[s].titles)
    # the shuffle is seeded: same seed same split, another seed another order
    again = news.read_corpus(path)
    assert again.splits["test"].titles == c.splits["test"].titles
    other = news.read_news_corpus(path, seed=1)
    assert other.splits["train"].titles != c.splits["train"].titles


def test_zip_without_corpus(tmp_path):
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.txt", "x")
    with pytest.raises(DatasetError, match="newsCorpora.csv"):
        news.read_corpus(path)


def test_split_rows_sizes_match_ch06_counts():
    labels = ["b"] * 13356
    parts = news.split_rows(labels, [str(i) for i in range(13356)])
    assert {s: len(p) for s, p in parts.items()} == {"train": 10686, "valid": 1335, "test": 1335}
    allt = [t for p in parts.values() for t in p.titles]
    assert sorted(allt, key=int) == [str(i) for i in range(13356)]


# -- tokens, vectors, features ---------------------------------------------------------


def test_tokenize():
    assert news.tokenize("Rosie O'Donnell Re-Joining 'The View' (UPDATED)") == [
        "Rosie",
        "O'Donnell",
        "Re",
        "Joining",
        "The",
        "View",
        "UPDATED",
    ]
    assert news.tokenize("Obama\u2019s plan: $3.5bn for 3D TVs...") == [
        "Obama's",
        "plan",
        "3",
        "5bn",
        "for",
        "3D",
        "TVs",
    ]
    assert news.tokenize("Beyoncé & Jay_Z") == ["Beyoncé", "Jay", "Z"]
    assert news.tokenize("  ...  ") == []


def test_lookup_order():
    vocab = {"Apple": 0, "apple": 1, "google": 2, "Obama": 3}
    assert news.lookup("Apple", vocab) == "Apple"
    assert news.lookup("APPLE", vocab) == "apple"
    assert news.lookup("Google", vocab) == "google"
    assert news.lookup("Obama's", vocab) == "Obama"
    assert news.lookup("Nobody", vocab) is None


WORDS = {
    "Stocks": [1.0, 0.0, 0.0, 0.0],
    "rally": [0.0, 2.0, 0.0, 0.0],
    "fed": [0.0, 0.0, 3.0, 0.0],
    "movie": [0.5, 0.5, 0.5, 0.5],
    "Ebola": [-1.0, 1.0, -1.0, 1.0],
    "phone": [0.25, -0.25, 0.125, 1.0],
}


def _kv(words=WORDS):
    gensim = pytest.importorskip("gensim")
    kv = gensim.models.KeyedVectors(vector_size=4)
    kv.add_vectors(list(words), np.array(list(words.values()), dtype=np.float32))
    return kv


def test_featurize_unknown_zero_and_repeats():
    kv = _kv()
    titles = [["Stocks", "rally"], ["Stocks", "Stocks", "rally"], ["Fed", "zzz", "qqq"], ["nothing", "known"], []]
    X, stats = news.featurize_tokens(titles, kv)
    assert X.dtype == torch.float32 and X.shape == (5, 4)
    assert torch.allclose(X[0], torch.tensor([0.5, 1.0, 0.0, 0.0]))
    assert torch.allclose(X[1], torch.tensor([2 / 3, 2 / 3, 0.0, 0.0]))  # repeats count
    assert torch.allclose(X[2], torch.tensor([0.0, 0.0, 3.0, 0.0]))  # unknowns ignored; lowercase fallback
    assert torch.equal(X[3], torch.zeros(4)) and torch.equal(X[4], torch.zeros(4))
    assert not torch.isnan(X).any()
    assert stats == {"tokens": 10, "known": 6, "empty_rows": 2}


def test_featurize_dict_matches_reference():
    ref = pytest.importorskip("nlp100_ch08.references")
    vectors = {w: np.array(v, dtype=np.float32) for w, v in WORDS.items()}
    titles = [["Stocks", "rally", "movie"], ["phone", "phone", "Ebola"], ["none"]]
    X, _ = news.featurize_tokens(titles, vectors)
    # the reference looks words up exactly; these titles need no fallback
    assert torch.equal(X, ref.featurize(titles, vectors))


def test_featurize_titles_uses_tokenizer():
    X, stats = news.featurize_titles(["Stocks rally!", "Ebola's movie..."], _kv())
    assert torch.allclose(X[0], torch.tensor([0.5, 1.0, 0.0, 0.0]))
    assert torch.allclose(X[1], torch.tensor([-0.25, 0.75, -0.25, 0.75]))
    assert stats["known"] == 4


@pytest.mark.parametrize("fmt", ["bin", "txt", "txt.gz", "noext-bin", "noext-txt"])
def test_load_vectors_binary_and_text(tmp_path, fmt):
    kv = _kv()
    binary = fmt.endswith("bin")
    path = tmp_path / ("vectors." + fmt if not fmt.startswith("noext") else "vectors")
    kv.save_word2vec_format(str(path), binary=binary)
    assert news.detect_vector_format(path) == (binary, False)
    back = news.load_vectors(path)
    assert set(back.key_to_index) == set(WORDS)
    for w, v in WORDS.items():
        assert np.allclose(back[w], v, atol=1e-6)
    assert len(news.load_vectors(path, limit=2)) == 2
    assert len(news.load_vectors(path, binary=binary)) == len(WORDS)


def test_load_vectors_glove_style_text(tmp_path):
    path = tmp_path / "glove.txt"
    path.write_text("".join(f"{w} {' '.join(map(str, v))}\n" for w, v in WORDS.items()), encoding="utf-8")
    assert news.detect_vector_format(path) == (False, True)
    pytest.importorskip("gensim")
    back = news.load_vectors(path)
    assert np.allclose(back["fed"], WORDS["fed"])


def test_load_vectors_errors(tmp_path):
    pytest.importorskip("gensim")
    with pytest.raises(DatasetError, match="no vectors file"):
        news.load_vectors(tmp_path / "missing.bin")
    bad = tmp_path / "bad.txt"
    bad.write_text("hello world\n")
    with pytest.raises(DatasetError):
        news.load_vectors(bad)
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    with pytest.raises(DatasetError):
        news.load_vectors(empty)


# -- building and loading --------------------------------------------------------------

SPLIT_ROWS = {
    "train": "b\tStocks rally as fed waits\ne\tA movie premiere\nt\tNew phone\nm\tEbola outbreak\nb\tStocks fall\n"
    "junk line\nz\tunknown category\n",
    "valid": "b\tFed holds\r\ne\tMovie stars\r\n\r\n",
    "test": "t\tPhone sales\nm\tEbola vaccine\nx\t\n",
}


@pytest.fixture
def vectors_bin(tmp_path):
    path = tmp_path / "vec.bin"
    _kv().save_word2vec_format(str(path), binary=True)
    return path


def test_build_and_load_round_trip(tmp_path, vectors_bin, monkeypatch):
    src = _split_dir(tmp_path / "split", SPLIT_ROWS)
    cache = tmp_path / "cache"
    printed = []
    path = news.build_news(src, vectors_bin, cache_dir=cache, echo=printed.append)
    assert path.parent == cache and path.is_file() and path.name.startswith("news-")
    ds = load_dataset(str(path))
    assert ds.name == "news" and ds.version.startswith(news.BUILD_VERSION + "-")
    assert ds.sizes() == {"train": 5, "valid": 2, "test": 2}
    assert ds.d == 4 and ds.X_train.dtype == torch.float32 and ds.y_train.dtype == torch.int64
    assert ds.y_train.tolist() == [0, 1, 2, 3, 0] and ds.y_test.tolist() == [2, 3]
    assert torch.allclose(ds.X_train[0], torch.tensor([1.0, 2.0, 3.0, 0.0]) / 3)  # "as", "waits" unknown
    s = ds.meta["summary"]
    assert s["rows"] == {"train": 5, "valid": 2, "test": 2}
    assert s["skipped"] == {"train": 2, "valid": 0, "test": 1} and s["skipped_total"] == 3
    assert 0 < s["coverage"]["share"] < 1
    assert s["coverage"]["tokens"] == 22 and s["coverage"]["known"] == 11
    text = printed[0]
    assert "train 5, valid 2, test 2" in text and "skipped malformed rows: 3" in text and "coverage" in text

    # "news" finds the latest build in the cache given by the environment
    monkeypatch.setenv("NLP100_CACHE", str(cache))
    assert load_dataset("news").checksum() == ds.checksum()
    assert load_dataset(str(cache)).checksum() == ds.checksum()  # a cache directory works too

    # rebuilding the same inputs gives the same data and version; other inputs a new latest build
    again = news.build(src, vectors_bin, cache)
    assert again.path == path and again.dataset.checksum() == ds.checksum()
    (src / "test.txt").write_text("t\tPhone sales\n", encoding="utf-8")
    newer = news.build(src, vectors_bin, cache)
    assert newer.dataset.version != ds.version and newer.path != path
    assert load_dataset("news").checksum() == newer.dataset.checksum()
    assert news.latest_build(cache) == newer.path


def test_build_from_corpus_zip_text_vectors(tmp_path):
    text, kept = _corpus_rows(60)
    zpath = tmp_path / "NewsAggregatorDataset.zip"
    with zipfile.ZipFile(zpath, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("newsCorpora.csv", text)
    words = {
        "Headline": [1, 0, 0, 0],
        "money": [0, 1, 0, 0],
        "movies": [0, 0, 1, 0],
        "health": [0, 0, 0, 1],
        "phones": [1, 1, 0, 0],
    }
    vec = tmp_path / "vec.txt"
    _kv({k: [float(x) for x in v] for k, v in words.items()}).save_word2vec_format(str(vec), binary=False)
    res = news.build(zpath, vec, tmp_path / "cache")
    assert res.summary["kind"] == "news-corpus"
    assert res.summary["skipped"] == {"corpus": 3} and res.summary["dropped_publishers"] == 15
    assert sum(res.dataset.sizes().values()) == len(kept)
    assert res.summary["empty_rows"] == 1  # "Tab inside title" has no known word: a zero row
    assert (res.dataset.X_train.abs().sum(1) == 0).sum() + (res.dataset.X_valid.abs().sum(1) == 0).sum() + (
        res.dataset.X_test.abs().sum(1) == 0
    ).sum() == 1


def test_load_news_before_build(tmp_path, monkeypatch):
    monkeypatch.setenv("NLP100_CACHE", str(tmp_path / "empty"))
    with pytest.raises(DatasetError, match="check data build"):
        load_dataset("news")


def test_data_build_main(tmp_path, vectors_bin):
    src = _split_dir(tmp_path / "split", SPLIT_ROWS)
    p = argparse.ArgumentParser()
    news.add_data_build_arguments(p)
    args = p.parse_args(["--news", str(src), "--vectors", str(vectors_bin), "--cache", str(tmp_path / "c")])
    out, err = io.StringIO(), io.StringIO()
    assert news.data_build_main(args, out=out, err=err) == 0
    assert "rows: train 5" in out.getvalue() and err.getvalue() == ""
    assert news.latest_build(tmp_path / "c") is not None

    bad = p.parse_args(
        ["--news", str(tmp_path / "nope"), "--vectors", str(vectors_bin), "--cache", str(tmp_path / "c")]
    )
    out, err = io.StringIO(), io.StringIO()
    assert news.data_build_main(bad, out=out, err=err) == 2
    assert "no such file" in err.getvalue()

    empty_split = _split_dir(tmp_path / "empty", {"train": "junk\n", "valid": "e\tx\n", "test": "t\ty\n"})
    args = p.parse_args(["--news", str(empty_split), "--vectors", str(vectors_bin), "--cache", str(tmp_path / "c")])
    err = io.StringIO()
    assert news.data_build_main(args, out=io.StringIO(), err=err) == 2
    assert "train" in err.getvalue()


def test_gensim_not_imported_by_default_path():
    code = (
        "import sys; from nlp100_ch08.data import load_dataset; load_dataset('default'); "
        "import nlp100_ch08.data.news; print('gensim' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout.strip() == "False"
