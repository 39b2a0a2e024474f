"""言語処理100本ノック 第8章 問題70: 単語ベクトルの和（平均）による特徴量。

下の `featurize` を定義し、`check submit FILE` で採点してください。
import できるのは標準ライブラリ、torch、numpy、matplotlib だけです。
"""
import numpy as np
import torch


def featurize(titles: list[list[str]], vectors: dict[str, np.ndarray]) -> torch.Tensor:
    """トークン化された見出しを特徴ベクトルに変換します。

    引数:
        titles: n 個の見出し。それぞれがトークン (str) のリスト。
        vectors: 単語から d 次元の float32 ベクトル (numpy.ndarray) への辞書。

    戻り値:
        形状 (n, d) の float32 テンソル。i 行目は titles[i] のトークンのうち
        `vectors` にあるものの平均ベクトル (同じトークンが 2 回出れば 2 回数える)。
        既知のトークンが 1 つもない見出しは NaN ではなくゼロ行にします。
        引数を書き換えてはいけません。
    """
    raise NotImplementedError
