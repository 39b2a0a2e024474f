"""言語処理100本ノック 第8章 問題79: 多層ニューラルネットワーク。

この問題で新しく定義するのは `build_mlp` です。学習にはあなた自身の
`train`（問題 73〜78）を使うので、`train` はどんなモデルでも動く必要が
あります。問題 73〜78 のファイルに書き足してください。
`check submit FILE` で採点します。import できるのは標準ライブラリ、torch、
numpy、matplotlib だけです。
"""
import torch


def build_mlp(d_in: int, n_classes: int) -> torch.nn.Module:
    """多層ネットワーク: (n, d_in) の float32 -> (n, n_classes) のロジット。

    隠れ層を 1 つ以上持ち、層の間に非線形の活性化関数を入れます
    （例: Linear -> ReLU -> Linear）。層は登録されるモジュール
    （nn.Sequential や nn.ModuleList。普通のリストではなく）に入れます。
    出力に softmax は付けません。ドロップアウトや正規化を使ってもよいですが、
    eval モードではネットワークが決定的でなければなりません。
    """
    raise NotImplementedError


# 79 のために `train` が守ること:
#   - どんなモデルでも: model.parameters() を最適化し、model.weight のような
#     属性に頼らない
#   - チェッカーは build_mlp のモデルを 2 以上のミニバッチで学習させる
#   - 各エポックの初めに model.train() を呼び、記録は model.eval() で測る。
#     チェッカーは自分の測定の後でモデルのモードを元に戻すので、`train` が
#     受け取るモードはあなたのコードが残したモードです
