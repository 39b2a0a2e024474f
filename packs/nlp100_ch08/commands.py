"""The pack's own commands (``check data build``), kept free of torch: the CLI builds its parser from them at
every start (the grader imports torch while the sandbox worker starts, not before)."""

from __future__ import annotations

from pathlib import Path

NEWS_SEED = 123  # the shuffle seed of the ch.6 split recipe


def add_data_build_arguments(p) -> None:
    """The options of ``check data build`` (for the CLI's argparse subparser)."""
    p.add_argument(
        "--news",
        required=True,
        type=Path,
        help="NewsAggregatorDataset.zip, newsCorpora.csv, or a directory with train.txt/valid.txt/test.txt",
    )
    p.add_argument(
        "--vectors",
        required=True,
        type=Path,
        help="word vectors in word2vec format, binary or text (e.g. GoogleNews-vectors-negative300.bin.gz)",
    )
    p.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="where to store the dataset (default: $NLP100_CACHE, else $XDG_CACHE_HOME/nlp100-checker, "
        "else ~/.cache/nlp100-checker)",
    )
    p.add_argument("--limit", type=int, default=None, help="read only the first N words of the vectors file")
    p.add_argument("--seed", type=int, default=NEWS_SEED, help="shuffle seed for the corpus split (zip/csv only)")


def _build(args) -> int:
    from .data.news import data_build_main

    return data_build_main(args)


def add_commands(sub) -> None:
    """`check data build ...` (the pack's own command; its parser stays free of torch)."""
    d = sub.add_parser("data", help="datasets for 73-79")
    dsub = d.add_subparsers(dest="data_cmd", required=True)
    b = dsub.add_parser("build", help="build the real News Aggregator features (task 70) into the cache")
    add_data_build_arguments(b)
    b.set_defaults(run=_build)
