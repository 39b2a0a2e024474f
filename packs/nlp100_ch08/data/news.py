"""The real chapter-8 features: mean word vectors of the ch.6 news headlines.

``check data build --news SOURCE --vectors VECTORS [--cache DIR]`` reads

- SOURCE: the UCI ``NewsAggregatorDataset.zip``, the ``newsCorpora.csv``
  inside it, or a directory holding the ch.6 split ``train.txt``,
  ``valid.txt``, ``test.txt`` (``category<TAB>title`` a line);
- VECTORS: word vectors in word2vec format, binary (``GoogleNews-vectors-
  negative300.bin[.gz]``) or text (with or without the ``count dim``
  header line, so GloVe text files work too), told apart by their content;

and stores a :class:`~nlp100_ch08.data.Dataset` named ``news`` in the cache
(see :func:`nlp100_ch08.data.cache_dir`), where ``--data news`` finds the most
recent one.

The ch.6 recipe for the corpus: keep the rows of the publishers Reuters,
Huffington Post, Businessweek, Contactmusic.com and Daily Mail, shuffle them
with a fixed seed, and split 80/10/10 (valid and test ``n // 10`` rows each,
train the rest).

Tokenization (task 70): runs of Unicode letters and digits, with inner
apostrophes kept (``[^\\W_]+(?:'[^\\W_]+)*`` after mapping ’ to '), so
"Obama's" is one token and "'The View'" gives "The", "View".  Case is kept:
the GoogleNews vectors are case sensitive.  A token is looked up as it is,
then lowercased, then, for a possessive "X's", as "X" (and lowercased).
A title's feature row is the mean of the vectors of its tokens that were
found (a token that occurs twice counts twice), computed in float64 and
rounded to float32; a title with no known token gives a zero row.

Malformed rows never stop a build: they are skipped and counted (blank
lines are ignored and not counted).  gensim is imported only by the
functions that read vectors.
"""

from __future__ import annotations

import gzip
import bz2
import hashlib
import json
import os
import re
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping

import numpy as np
import torch

from ..commands import NEWS_SEED, add_data_build_arguments  # noqa: F401  (re-exported)
from . import CLASSES, Dataset, DatasetError, cache_dir as _cache_dir, load_dataset_file, save_dataset

BUILD_VERSION = "1"  # bump when tokenization, lookup or the split recipe change
PUBLISHERS = ("Reuters", "Huffington Post", "Businessweek", "Contactmusic.com", "Daily Mail")
SPLITS = ("train", "valid", "test")
CORPUS_COLUMNS = ("ID", "TITLE", "URL", "PUBLISHER", "CATEGORY", "STORY", "HOSTNAME", "TIMESTAMP")
LATEST = "news-latest.txt"
_LABEL = {c: i for i, c in enumerate(CLASSES)}
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


# -- reading -----------------------------------------------------------------------------


@dataclass
class Split:
    labels: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.labels)


@dataclass
class Corpus:
    """The three splits, with what was skipped on the way."""

    source: str
    kind: str  # "split-dir" or "news-corpus"
    splits: dict[str, Split]
    skipped: dict[str, int]  # malformed rows per input file ("corpus" for the csv)
    dropped_publishers: int = 0  # well-formed corpus rows of other publishers

    @property
    def total_skipped(self) -> int:
        return sum(self.skipped.values())


def _decode(data: bytes) -> str:
    return data.decode("utf-8-sig", errors="replace")


def _lines(text: str) -> Iterable[str]:
    for line in text.split("\n"):
        yield line[:-1] if line.endswith("\r") else line


def _category(raw: str) -> str | None:
    c = raw.strip().lower()
    return c if c in _LABEL else None


def parse_split(text: str) -> tuple[list[str], list[str], int]:
    """``category<TAB>title`` lines -> (labels, titles, skipped).  The title is
    everything after the first tab, stripped; rows with no tab, an unknown
    category or an empty title are skipped and counted; blank lines ignored."""
    labels, titles, skipped = [], [], 0
    for line in _lines(text.lstrip("\ufeff")):
        if not line.strip():
            continue
        cat, tab, title = line.partition("\t")
        cat, title = _category(cat), title.strip()
        if not tab or cat is None or not title:
            skipped += 1
            continue
        labels.append(cat)
        titles.append(title)
    return labels, titles, skipped


def read_split(path: str | os.PathLike) -> tuple[list[str], list[str], int]:
    """One ch.6 split file -> (labels, titles, skipped rows)."""
    return parse_split(_decode(Path(path).read_bytes()))


def read_split_dir(path: str | os.PathLike) -> Corpus:
    path = Path(path)
    missing = [f"{s}.txt" for s in SPLITS if not (path / f"{s}.txt").is_file()]
    if missing:
        raise DatasetError(f"{path} lacks {', '.join(missing)}: a split directory holds train.txt, valid.txt, test.txt")
    splits, skipped = {}, {}
    for s in SPLITS:
        labels, titles, skipped[s] = read_split(path / f"{s}.txt")
        splits[s] = Split(labels, titles)
    return Corpus(source=str(path), kind="split-dir", splits=splits, skipped=skipped)


def parse_news_corpus(text: str) -> tuple[list[str], list[str], int, int]:
    """``newsCorpora.csv`` text -> (labels, titles, skipped, dropped) for the five
    ch.6 publishers, in file order.  Columns are TAB separated; a title holding
    tabs is rejoined (the last six columns are URL … TIMESTAMP); rows with fewer
    than eight columns, an unknown category or an empty title are skipped;
    rows of other publishers are dropped (counted apart)."""
    labels, titles, skipped, dropped = [], [], 0, 0
    keep = set(PUBLISHERS)
    for line in _lines(text.lstrip("\ufeff")):
        if not line.strip():
            continue
        cols = line.split("\t")
        if len(cols) < len(CORPUS_COLUMNS):
            skipped += 1
            continue
        title = "\t".join(cols[1 : len(cols) - 6]).strip()
        publisher, category = cols[-5].strip(), _category(cols[-4])
        if publisher not in keep:
            if category is None and cols[0].strip().upper() == "ID":
                continue  # a header row
            dropped += 1
            continue
        if category is None or not title:
            skipped += 1
            continue
        labels.append(category)
        titles.append(title)
    return labels, titles, skipped, dropped


def _seeded_order(n: int, seed: int) -> np.ndarray:
    # ranks of raw PCG64 output: the same permutation with every numpy version
    return np.argsort(np.asarray(np.random.PCG64(seed).random_raw(n), dtype=np.uint64), kind="stable")


def split_rows(labels: list[str], titles: list[str], seed: int = NEWS_SEED) -> dict[str, Split]:
    """Shuffle with ``seed`` and split 80/10/10: valid and test ``n // 10`` rows, train the rest."""
    n = len(labels)
    order = _seeded_order(n, seed)
    k = n // 10
    parts = {"train": order[: n - 2 * k], "valid": order[n - 2 * k : n - k], "test": order[n - k :]}
    return {s: Split([labels[i] for i in idx], [titles[i] for i in idx]) for s, idx in parts.items()}


def _corpus_text(path: Path) -> str:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if not n.endswith("/")]
            exact = [n for n in names if n.rsplit("/", 1)[-1] == "newsCorpora.csv"]
            csvs = [n for n in names if n.lower().endswith(".csv") and not n.rsplit("/", 1)[-1].startswith("._")]
            pick = exact[:1] or (csvs if len(csvs) == 1 else [])
            if not pick:
                raise DatasetError(f"{path} holds no newsCorpora.csv (found: {', '.join(names[:8]) or 'nothing'})")
            return _decode(z.read(pick[0]))
    return _decode(path.read_bytes())


def read_news_corpus(path: str | os.PathLike, seed: int = NEWS_SEED) -> Corpus:
    """The UCI ``NewsAggregatorDataset.zip`` or its ``newsCorpora.csv`` -> the ch.6 split."""
    path = Path(path)
    labels, titles, skipped, dropped = parse_news_corpus(_corpus_text(path))
    return Corpus(
        source=str(path),
        kind="news-corpus",
        splits=split_rows(labels, titles, seed),
        skipped={"corpus": skipped},
        dropped_publishers=dropped,
    )


def read_corpus(path: str | os.PathLike, seed: int = NEWS_SEED) -> Corpus:
    """A split directory, or the corpus zip / csv."""
    path = Path(path).expanduser()
    if path.is_dir():
        return read_split_dir(path)
    if path.is_file():
        return read_news_corpus(path, seed)
    raise DatasetError(f"no such file or directory: {path}")


# -- tokens and vectors ------------------------------------------------------------------


def tokenize(title: str) -> list[str]:
    return _TOKEN.findall(title.translate(_APOSTROPHES))


def _candidates(tok: str) -> list[str]:
    out = [tok, tok.lower()]
    if tok.lower().endswith("'s") and len(tok) > 2:
        out += [tok[:-2], tok[:-2].lower()]
    return out


def lookup(tok: str, vocab: Mapping[str, object]) -> str | None:
    """The key under which ``tok`` is found in ``vocab`` (see the module docstring), or None."""
    for c in _candidates(tok):
        if c in vocab:
            return c
    return None


def _open_maybe_compressed(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    if path.suffix == ".bz2":
        return bz2.open(path, "rb")
    return open(path, "rb")


def _is_float(s: bytes) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def detect_vector_format(path: str | os.PathLike) -> tuple[bool, bool]:
    """(binary, no_header) of a word-vector file, from its first lines: a
    ``count dim`` header followed by a text line of ``dim`` + 1 fields is
    text, followed by anything else binary; no header at all is headerless
    text (GloVe)."""
    path = Path(path)
    with _open_maybe_compressed(path) as f:
        head = f.readline(1 << 16)
        parts = head.split()
        if not parts:
            raise DatasetError(f"{path} is empty or not a word-vector file")
        if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
            d = int(parts[1])
            first = f.readline(64 + 64 * d)
            fields = first.split()
            if not first:  # a header and nothing else: either reader gives no words
                return False, False
            try:
                first.decode("utf-8")
            except UnicodeDecodeError:
                return True, False
            text = len(fields) == d + 1 and all(_is_float(x) for x in fields[1:])
            return (not text), False
        if len(parts) > 2 and all(_is_float(x) for x in parts[1:]):
            return False, True
    raise DatasetError(f"{path}: cannot tell its format (expected word2vec binary or text, or GloVe-style text)")


def load_vectors(path: str | os.PathLike, *, binary: bool | None = None, limit: int | None = None):
    """gensim ``KeyedVectors`` from a word2vec binary or text file (format detected
    from the content unless ``binary`` is given); ``limit`` keeps the first words only."""
    try:
        from gensim.models import KeyedVectors
    except ImportError:
        raise DatasetError("reading word vectors needs gensim: pip install 'nlp100-checker[data]'") from None
    path = Path(path).expanduser()
    if not path.is_file():
        raise DatasetError(f"no vectors file at {path}")
    no_header = False
    if binary is None:
        binary, no_header = detect_vector_format(path)
    try:
        return KeyedVectors.load_word2vec_format(
            str(path), binary=binary, limit=limit, no_header=no_header, unicode_errors="replace"
        )
    except (ValueError, EOFError, UnicodeDecodeError, OSError) as e:
        raise DatasetError(f"{path}: could not read word vectors ({type(e).__name__}: {e})") from None


class _Vocab:
    """A uniform view of gensim KeyedVectors or a plain {word: vector} dict."""

    def __init__(self, vectors):
        if hasattr(vectors, "key_to_index") and hasattr(vectors, "vectors"):
            self.index, self.matrix = vectors.key_to_index, np.asarray(vectors.vectors)
        else:
            words = list(vectors)
            self.index = {w: i for i, w in enumerate(words)}
            self.matrix = (
                np.stack([np.asarray(vectors[w], dtype=np.float32) for w in words])
                if words
                else np.zeros((0, 0), dtype=np.float32)
            )
        self.d = int(self.matrix.shape[1]) if self.matrix.ndim == 2 else 0


def featurize_tokens(token_lists: list[list[str]], vectors) -> tuple[torch.Tensor, dict]:
    """(n, d) float32 mean vectors of already tokenized titles, and counts:
    ``tokens``, ``known`` (token occurrences found), ``empty_rows`` (no known token)."""
    vocab = _Vocab(vectors)
    out = np.zeros((len(token_lists), vocab.d), dtype=np.float32)
    tokens = known = empty = 0
    for i, toks in enumerate(token_lists):
        idx = [vocab.index[k] for k in (lookup(t, vocab.index) for t in toks) if k is not None]
        tokens += len(toks)
        known += len(idx)
        if idx:
            out[i] = vocab.matrix[idx].astype(np.float64).mean(axis=0)
        else:
            empty += 1
    return torch.from_numpy(out), {"tokens": tokens, "known": known, "empty_rows": empty}


def featurize_titles(titles: list[str], vectors) -> tuple[torch.Tensor, dict]:
    return featurize_tokens([tokenize(t) for t in titles], vectors)


# -- building ----------------------------------------------------------------------------


@dataclass
class BuildResult:
    path: Path
    dataset: Dataset
    summary: dict


def _sha256_file(path: Path, h=None):
    h = h or hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h


def _fingerprint(corpus: Corpus, vectors_path: Path, *, seed: int, limit: int | None) -> str:
    h = hashlib.sha256(
        json.dumps(
            {"build": BUILD_VERSION, "kind": corpus.kind, "seed": seed, "limit": limit, "classes": CLASSES},
            sort_keys=True,
        ).encode()
    )
    src = Path(corpus.source)
    for p in [src / f"{s}.txt" for s in SPLITS] if corpus.kind == "split-dir" else [src]:
        h.update(b"|source|")
        _sha256_file(p, h)
    h.update(b"|vectors|")
    _sha256_file(vectors_path, h)
    return h.hexdigest()


def build(
    source: str | os.PathLike,
    vectors_path: str | os.PathLike,
    cache_dir: str | os.PathLike | None = None,
    *,
    limit: int | None = None,
    seed: int = NEWS_SEED,
) -> BuildResult:
    """Read, featurize, save into the cache; see :func:`build_news`."""
    corpus = read_corpus(source, seed)
    empty = [s for s in SPLITS if not corpus.splits[s]]
    if empty:
        raise DatasetError(
            f"{corpus.source}: no usable rows for {', '.join(empty)} ({corpus.total_skipped} malformed rows skipped)"
        )
    vectors_path = Path(vectors_path).expanduser()
    kv = load_vectors(vectors_path, limit=limit)
    tensors, coverage = {}, {}
    for s in SPLITS:
        X, stats = featurize_titles(corpus.splits[s].titles, kv)
        tensors[f"X_{s}"] = X
        tensors[f"y_{s}"] = torch.tensor([_LABEL[c] for c in corpus.splits[s].labels], dtype=torch.int64)
        coverage[s] = {**stats, "share": stats["known"] / stats["tokens"] if stats["tokens"] else 0.0}
    tot_tokens = sum(c["tokens"] for c in coverage.values())
    tot_known = sum(c["known"] for c in coverage.values())
    version = f"{BUILD_VERSION}-{_fingerprint(corpus, vectors_path, seed=seed, limit=limit)[:12]}"
    summary = {
        "source": corpus.source,
        "kind": corpus.kind,
        "vectors": str(vectors_path),
        "vocabulary": len(kv.key_to_index),
        "d": int(kv.vector_size),
        "limit": limit,
        "seed": seed,
        "rows": {s: len(corpus.splits[s]) for s in SPLITS},
        "skipped": dict(corpus.skipped),
        "skipped_total": corpus.total_skipped,
        "dropped_publishers": corpus.dropped_publishers,
        "coverage": {
            "tokens": tot_tokens,
            "known": tot_known,
            "share": tot_known / tot_tokens if tot_tokens else 0.0,
            "per_split": coverage,
        },
        "empty_rows": sum(c["empty_rows"] for c in coverage.values()),
    }
    ds = Dataset(name="news", version=version, classes=list(CLASSES), meta={"summary": summary}, **tensors)
    where = _cache_dir(cache_dir)
    path = save_dataset(ds, where / f"news-{version}.pt")
    tmp = where / f".{LATEST}.{os.getpid()}.tmp"
    tmp.write_text(path.name + "\n", encoding="utf-8")
    os.replace(tmp, where / LATEST)
    summary["path"] = str(path)
    summary["checksum"] = ds.checksum()
    return BuildResult(path, ds, summary)


def build_news(
    news_path_or_split_dir: str | os.PathLike,
    vectors_path: str | os.PathLike,
    cache_dir: str | os.PathLike | None = None,
    *,
    limit: int | None = None,
    seed: int = NEWS_SEED,
    echo: Callable[[str], object] | None = print,
) -> Path:
    """Build the ``news`` dataset from the corpus zip / csv or a split directory
    and a word-vector file, store it in the cache and return its path; ``echo``
    (print by default, None for silence) gets the summary text."""
    res = build(news_path_or_split_dir, vectors_path, cache_dir, limit=limit, seed=seed)
    if echo is not None:
        echo(format_summary(res.summary))
    return res.path


def format_summary(s: dict) -> str:
    rows = s["rows"]
    cov = s["coverage"]
    skipped = ", ".join(f"{k} {v}" for k, v in s["skipped"].items())
    lines = [
        f"news dataset built from {s['source']} ({s['kind']}) and {s['vectors']}",
        f"  rows: train {rows['train']}, valid {rows['valid']}, test {rows['test']}",
        f"  skipped malformed rows: {s['skipped_total']} ({skipped})",
    ]
    if s["kind"] == "news-corpus":
        lines.append(f"  rows of other publishers dropped: {s['dropped_publishers']}")
    lines += [
        f"  vectors: {s['vocabulary']} words, d = {s['d']}" + (f" (limit {s['limit']})" if s.get("limit") else ""),
        f"  coverage: {cov['known']} of {cov['tokens']} tokens found ({100 * cov['share']:.1f} %); "
        f"{s['empty_rows']} titles without a known token (zero rows)",
    ]
    if "path" in s:
        lines.append(f"  saved: {s['path']}")
        lines.append(f"  checksum: {s['checksum']}")
    if s["d"] != 300:
        lines.append(f"  note: the chapter uses 300-dimensional vectors; these have {s['d']}")
    return "\n".join(lines)


# -- loading -----------------------------------------------------------------------------


def latest_build(where: str | os.PathLike | None = None) -> Path | None:
    """The most recent build in the cache: the one ``news-latest.txt`` names,
    else the newest ``news-*.pt``."""
    where = _cache_dir(where)
    pointer = where / LATEST
    if pointer.is_file():
        name = pointer.read_text(encoding="utf-8").strip()
        if name and "/" not in name and "\\" not in name and (where / name).is_file():
            return where / name
    found = sorted(where.glob("news-*.pt"), key=lambda p: (p.stat().st_mtime_ns, p.name))
    return found[-1] if found else None


def load_news(where: str | os.PathLike | None = None) -> Dataset:
    path = latest_build(where)
    if path is None:
        raise DatasetError(
            f"the news dataset has not been built (looked in {_cache_dir(where)}): run "
            f"`check data build --news NewsAggregatorDataset.zip --vectors "
            f"GoogleNews-vectors-negative300.bin.gz` (or --news a directory with train.txt, "
            f"valid.txt, test.txt), or use --data default"
        )
    return load_dataset_file(path)


# -- command line ------------------------------------------------------------------------


def data_build_main(args, *, out=None, err=None) -> int:
    """Run ``check data build`` for an argparse namespace with ``news``, ``vectors``
    and optionally ``cache``, ``limit``, ``seed``.  0 built, 2 the inputs could not be used."""
    out = out or sys.stdout
    err = err or sys.stderr
    seed = getattr(args, "seed", None)
    try:
        res = build(
            args.news,
            args.vectors,
            getattr(args, "cache", None),
            limit=getattr(args, "limit", None),
            seed=NEWS_SEED if seed is None else seed,
        )
    except DatasetError as e:
        print(f"check data build: {e}", file=err)
        return 2
    except OSError as e:
        print(f"check data build: {e}", file=err)
        return 2
    print(format_summary(res.summary), file=out)
    print("use it with: check submit FILE --data news", file=out)
    return 0


__all__ = [
    "BuildResult",
    "Corpus",
    "Split",
    "add_data_build_arguments",
    "build",
    "build_news",
    "data_build_main",
    "detect_vector_format",
    "featurize_titles",
    "featurize_tokens",
    "format_summary",
    "latest_build",
    "load_news",
    "load_vectors",
    "lookup",
    "parse_news_corpus",
    "parse_split",
    "read_corpus",
    "read_news_corpus",
    "read_split",
    "read_split_dir",
    "split_rows",
    "tokenize",
]
