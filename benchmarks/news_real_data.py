"""Real-data path end to end on the ch.6 split (not part of the tests).

There are no pretrained vectors offline, so this trains small word2vec
vectors with gensim on the *training* titles only (tokenized as the checker
does), saves them in word2vec binary format, builds the ``news`` dataset with
``nlp100_ch08.data.news.build_news`` into a scratch cache, loads it back with
``load_dataset`` and trains the single-layer network nn.Linear(300, 4) with
SGD.  With GoogleNews vectors the chapter's usual result is about 0.88-0.90;
vectors trained on ~100k tokens are weaker.

    python benchmarks/news_real_data.py [--split-dir /work/shared/data/news-ch06] [--work /tmp/nlp100-news]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from torch import nn

from nlp100_ch08.data import load_dataset
from nlp100_ch08.data.news import build_news, read_split_dir, tokenize


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split-dir", type=Path, default=Path("/work/shared/data/news-ch06"))
    ap.add_argument("--work", type=Path, default=Path("/tmp/nlp100-news"))
    ap.add_argument("--w2v-epochs", type=int, default=20)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1.0)
    a = ap.parse_args(argv)
    from gensim.models import Word2Vec

    a.work.mkdir(parents=True, exist_ok=True)
    vec_path = a.work / "w2v-ch06-train.bin"
    t0 = time.perf_counter()
    corpus = read_split_dir(a.split_dir)
    sentences = [tokenize(t) for t in corpus.splits["train"].titles]
    w2v = Word2Vec(
        sentences, vector_size=300, window=5, min_count=2, sg=1, negative=5, epochs=a.w2v_epochs, workers=1, seed=1
    )
    w2v.wv.save_word2vec_format(str(vec_path), binary=True)
    print(
        f"word2vec: {len(w2v.wv)} words from {sum(map(len, sentences))} training tokens, "
        f"{time.perf_counter() - t0:.1f} s -> {vec_path}"
    )

    t0 = time.perf_counter()
    path = build_news(a.split_dir, vec_path, cache_dir=a.work / "cache")
    print(f"build: {time.perf_counter() - t0:.1f} s")
    ds = load_dataset(path)
    assert ds.describe()["checksum"] == load_dataset(str(a.work / "cache")).checksum()

    torch.manual_seed(0)
    model = nn.Linear(ds.d, len(ds.classes))
    opt = torch.optim.SGD(model.parameters(), lr=a.lr)
    g = torch.Generator().manual_seed(0)
    for epoch in range(1, a.epochs + 1):
        perm = torch.randperm(len(ds.y_train), generator=g)
        for i in range(0, len(perm), a.batch_size):
            idx = perm[i : i + a.batch_size]
            opt.zero_grad()
            nn.functional.cross_entropy(model(ds.X_train[idx]), ds.y_train[idx]).backward()
            opt.step()
        if epoch % 5 == 0 or epoch == a.epochs:
            with torch.no_grad():
                acc = {
                    s: (model(getattr(ds, f"X_{s}")).argmax(1) == getattr(ds, f"y_{s}")).float().mean().item()
                    for s in ("train", "valid", "test")
                }
            print(f"epoch {epoch:3d}: " + ", ".join(f"{s} {v:.4f}" for s, v in acc.items()))
    print(f"single-layer test accuracy: {acc['test']:.4f} (SGD lr {a.lr}, batch {a.batch_size}, {a.epochs} epochs)")


if __name__ == "__main__":
    main()
