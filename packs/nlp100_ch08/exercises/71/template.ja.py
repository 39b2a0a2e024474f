"""言語処理100本ノック 第8章 問題71: 単層ニューラルネットワークによる予測。

下の `softmax`（手書き）と `predict_proba` を定義し、`check submit FILE` で
採点してください。import できるのは標準ライブラリ、torch、numpy、
matplotlib だけです。

`softmax` で使用禁止: torch.softmax、Tensor.softmax、torch.log_softmax、
Tensor.log_softmax、torch.nn.functional.softmax / log_softmax、
torch.nn.Softmax、torch.nn.LogSoftmax。使ってよいもの: 要素ごとの演算、
リダクション、torch.logsumexp、インデックス操作。
"""
import torch


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """`x` の `dim` 方向の softmax（手書き、数値的に安定な実装）。

    引数:
        x: 1 次元または 2 次元の浮動小数点テンソル。値は ±1e4 程度まで。
        dim: 和が 1 になる次元。

    戻り値:
        `x` と同じ形状・dtype のテンソル。NaN や inf を含まないこと。
        `x` をその場で書き換えてはいけません。
    """
    raise NotImplementedError


def predict_proba(X: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """単層ニューラルネットワークのクラス確率: softmax(X @ W)。

    引数:
        X: 特徴量。形状 (n, d)、または 1 事例なら形状 (d,)。
        W: 重み。L クラスなら形状 (d, L)。

    戻り値:
        クラス（最後の次元）方向の確率。2 次元の `X` なら形状 (n, L)、
        1 次元の `X` なら形状 (L,)。dtype は `X` と同じ。
    """
    raise NotImplementedError
