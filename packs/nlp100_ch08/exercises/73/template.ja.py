"""言語処理100本ノック 第8章 問題73: 確率的勾配降下法による学習。

この問題で新しく定義するのは `build_model` と `train` です。このファイルが
問題 73〜79 の土台になります。以降の問題のテンプレートには、その問題で
増える部分だけが入っています（74 は `accuracy`、75 は `plot_history`、
76 はチェックポイント用の補助関数、77 と 78 は `train` への注意書き、
79 は `build_mlp`）。それらをこのファイルに書き足し、`train` は 2 つ目を
書かずに、この 1 つを拡張してください。

`check submit FILE` で採点します（この問題だけなら `--exercise 73`）。
import できるのは標準ライブラリ、torch、numpy、matplotlib だけです。
ここからは torch.nn、torch.optim、torch.nn.functional.cross_entropy、
自動微分を使って構いません。チェッカーが使う数値（エポック数、バッチ
サイズ、必要な正解率、制限時間）は `check show 73` で表示されます。
"""
import torch


def build_model(d_in: int, n_classes: int) -> torch.nn.Module:
    """問題 71 の単層ニューラルネットワーク: ロジット = X W^T + b。

    形状 (n, d_in) の float32 入力を、形状 (n, n_classes) のロジット
    （softmax の前のスコア）に写します。state_dict には形状
    (n_classes, d_in) の重みがちょうど 1 つと、あっても形状 (n_classes,) の
    バイアスだけが入っていること。隠れ層、バッチ正規化、softmax は入れません。
    torch.nn.Linear(d_in, n_classes)（バイアスはあってもなくてもよい）が
    そのようなネットワークです。
    """
    raise NotImplementedError


def train(
    model: torch.nn.Module,
    X_train: torch.Tensor,
    y_train: torch.Tensor,
    X_valid: torch.Tensor,
    y_valid: torch.Tensor,
    *,
    epochs: int,
    batch_size: int,
    device: str,
    checkpoint_dir: str | None = None,
    resume_from: str | None = None,
) -> list[dict]:
    """`model` を torch.optim.SGD と平均クロスエントロピーでその場で学習します。

    引数:
        model: 学習するネットワーク（build_model が作ったもの。79 では
            build_mlp が作ったもの）。このオブジェクト自体を学習し、新しい
            モデルを作って返さないこと。
        X_train, X_valid: float32 の特徴量。形状 (n, d)。
        y_train, y_valid: int64 のクラス番号。形状 (n,)。
        epochs: 学習データを何周するか（チェッカーが指定）。
        batch_size: 1 回の更新に使う事例数（チェッカーが指定。1 なら素朴な SGD）。
        device: "cpu"。問題 78 からは "cuda" も。
        checkpoint_dir: 存在する空のフォルダ、または None。チェッカーは
            73 から渡します。そこにチェックポイントを書くのは問題 76 です。
        resume_from: 再開するチェックポイントのパス、または None（問題 76）。

    戻り値:
        学習したエポックごとに 1 つの記録を順に並べたリスト:
        {"epoch": k, "train_loss": float, "train_acc": float,
         "valid_loss": float, "valid_acc": float}。k は 1 から数えます。
        73 でチェッカーが見るのは記録ではなく重みです。記録は 74 から確認されます。
    """
    # どの問題がこの関数に何を求めるか（詳しくは各問題のテンプレート）:
    #   73  各エポック: model.train()、シャッフル、バッチごとに 1 回の更新
    #   74  記録の正解率: データ全体を、eval モードで、エポックの終わりに
    #   75  記録の損失: 同じく、平均クロスエントロピー
    #   76  エポックごとに checkpoint_dir/epoch_{k}.pt。resume_from からの再開
    #   77  1 エポックに ceil(n / batch_size) 回の更新。最後の小さいバッチも使う
    #   78  モデルとすべてのバッチを `device` に。モデルはそこに置いたまま
    #   79  どんなモデルでも: model.parameters() を使い、単層専用の処理をしない
    raise NotImplementedError
