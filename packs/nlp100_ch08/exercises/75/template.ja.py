"""言語処理100本ノック 第8章 問題75: 損失と正解率のプロット。

この問題で新しく定義するのは `plot_history` と、`train` が返す記録の損失です。
問題 73〜74 のファイルに書き足してください（`build_model`、`train`、
`accuracy` はここでは繰り返しません）。
`check submit FILE` で採点します。import できるのは標準ライブラリ、torch、
numpy、matplotlib だけです。
"""


def plot_history(history: list[dict], path: str) -> None:
    """学習曲線を描き、PNG ファイルに保存します。

    引数:
        history: `train` が返す形の記録。1 エポックに 1 つ:
            {"epoch": k, "train_loss": float, "train_acc": float,
             "valid_loss": float, "valid_acc": float}
        path: PNG 画像を書き出すパス。

    `history` から損失（train、valid）と正解率（train、valid）をエポックに
    対して描き（チェッカーは自分で作った記録でこの関数を呼びます）、
    fig.savefig(path) で保存し、図を閉じて（plt.close(fig)）、None を返します。
    plt.show() は呼ばないこと。matplotlib.pyplot はこの関数の中で import して
    ください。ファイルの先頭で import すると、チェッカーであなたのコードを
    起動するたびに時間がかかります。
    """
    raise NotImplementedError


# 75 のために `train`（問題 73）に加えること: 各記録の損失
#   "train_loss": X_train, y_train での平均クロスエントロピー
#   "valid_loss": X_valid, y_valid での平均クロスエントロピー
# 74 の正解率と同じく、エポックの終わりに、データ全体について、eval モードで
# 測ります。エポック中に見たバッチ損失の平均ではありません（重みが変わって
# いる途中の値です）。値はすべて Python の float にします。
