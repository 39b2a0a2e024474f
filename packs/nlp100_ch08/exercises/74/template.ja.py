"""言語処理100本ノック 第8章 問題74: 正解率の計測。

この問題で新しく定義するのは `accuracy` と、`train` が返す記録の正解率です。
問題 73 のファイル（`build_model` と `train` があるもの）に書き足して
ください（ここでは繰り返しません）。
`check submit FILE` で採点します。import できるのは標準ライブラリ、torch、
numpy、matplotlib だけです。
"""
import torch


def accuracy(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """予測クラス（ロジットの argmax）が y と一致する事例の割合。

    引数:
        model: (n, d) を (n, L) のロジットに写すネットワーク。どのデバイスにあってもよい。
        X: float32 の特徴量。形状 (n, d)（モデルのデバイスへ移すこと）。
        y: int64 のクラス番号。形状 (n,)。

    戻り値:
        [0, 1] の Python の float（テンソルではなく）。eval モードで勾配を
        計算せずに測り、モデルのパラメータは変えません。
    """
    raise NotImplementedError


# 74 のために `train`（問題 73）に加えること: 各記録の正解率
#   "train_acc": X_train, y_train での正解率
#   "valid_acc": X_valid, y_valid での正解率
# どちらもそのエポックが終わった時点のモデルで、データ全体について、
# eval モード（model.eval()、torch.no_grad()）で測った値です。重みが変わって
# いる途中に数えた値ではありません。`accuracy` を使えます。次のエポックの
# 更新の前に model.train() に戻してください。
# チェッカーはそのエポックの重みから同じ値を測って比べます。
