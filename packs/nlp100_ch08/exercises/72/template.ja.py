"""言語処理100本ノック 第8章 問題72: 損失と勾配の計算。

下の 5 つの関数を定義し、`check submit FILE` で採点してください。
import できるのは標準ライブラリ、torch、numpy、matplotlib だけです。

手書きで実装するもの（cross_entropy、linear_backward、
softmax_cross_entropy_backward）では、torch.softmax、torch.log_softmax、
Tensor.softmax、Tensor.log_softmax、torch.nn.functional.softmax /
log_softmax / cross_entropy / nll_loss、torch.nn.Softmax、
torch.nn.LogSoftmax、torch.nn.CrossEntropyLoss、torch.nn.NLLLoss が使用禁止です。
2 つの backward 関数では自動微分（.backward()、torch.autograd.grad）も
禁止です。使ってよいもの: 要素ごとの演算とリダクション、torch.logsumexp、
gather、scatter、torch.nn.functional.one_hot、インデックス操作。
"""
import torch


def cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """バッチの平均クロスエントロピー（手書き、±1e4 程度まで安定）。

    引数:
        logits: 正規化前のスコア。形状 (n, L)。
        y: 正解クラスの番号。形状 (n,)、int64。

    戻り値:
        `logits` と同じ dtype の 0 次元テンソル:
        -log softmax(logits[i])[y[i]] の i についての平均。
    """
    raise NotImplementedError


def linear_forward(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor | None = None) -> torch.Tensor:
    """線形層: x @ W (+ b)。

    引数:
        x: 形状 (n, d)。
        W: 形状 (d, L)。
        b: 形状 (L,)。バイアスなしなら None。

    戻り値:
        形状 (n, L)、dtype は `x` と同じ。
    """
    raise NotImplementedError


def linear_backward(grad_y: torch.Tensor, x: torch.Tensor, W: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """y = x @ W + b の逆伝播（手書き、自動微分なし）。

    引数:
        grad_y: dLoss/dy。形状 (n, L)。
        x: 層への入力。形状 (n, d)。
        W: 層の重み。形状 (d, L)。

    戻り値:
        (grad_x, grad_W, grad_b)。形状はそれぞれ (n, d)、(d, L)、(L,)。
    """
    raise NotImplementedError


def softmax_cross_entropy_backward(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """平均クロスエントロピーのロジットについての勾配（手書き、自動微分なし）。

    引数:
        logits: 形状 (n, L)。
        y: 正解クラスの番号。形状 (n,)、int64。

    戻り値:
        dLoss/dlogits。形状 (n, L)、dtype は `logits` と同じ。各行の和は 0。
    """
    raise NotImplementedError


def loss_and_grad(X: torch.Tensor, y: torch.Tensor, W: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """単層ニューラルネットワークの損失と、W についての勾配（自動微分を使ってよい）。

    引数:
        X: 特徴量。形状 (n, d)。
        y: 正解クラスの番号。形状 (n,)、int64。
        W: 重み。形状 (d, L)。

    戻り値:
        (loss, grad_W): softmax(X @ W) の平均クロスエントロピー（0 次元テンソル）と、
        その W についての勾配（形状 (d, L)）。
        `W` 自体を書き換えてはいけません（detach したコピーで計算する）。
    """
    raise NotImplementedError
