"""言語処理100本ノック 第8章 問題76: チェックポイント。

この問題で新しいのは、`checkpoint_dir` が渡されたら `train` がエポックごとに
チェックポイントを書き、`resume_from` が渡されたらそこから再開することです。
`train` はここでは繰り返しません。問題 73 のファイルの `train` を、下の
コメントのとおりに拡張してください。2 つの補助関数は任意です（同じ処理を
`train` の中に書いても構いません）。チェッカーが呼ぶことはありません。
`check submit FILE` で採点します。import できるのは標準ライブラリ、torch、
numpy、matplotlib だけです。
"""
import os

import torch


def save_checkpoint(path: str, epoch: int, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> None:
    """エポック `epoch` の終わりのチェックポイントを `path` に書きます。

    ファイルの中身は、再開に必要なものだけを入れた辞書です:
        {"epoch": epoch, "model": model.state_dict(),
         "optimizer": optimizer.state_dict()}
    torch.save で書きます。torch.load(path) が weights_only=True で読めるように、
    中にはテンソル・数値・文字列だけを入れます。
    """
    raise NotImplementedError


def load_checkpoint(path: str, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> int:
    """`path` のチェックポイントから `model` と `optimizer` を復元し、そのエポックを返します。

    torch.load(path, map_location=<モデルのデバイス>) のあと、
    model.load_state_dict(...) と optimizer.load_state_dict(...)。
    オプティマイザの状態（学習率、momentum のバッファ）はファイルから戻します。
    オプティマイザは先に（model.to(device) の後で）作っておきます。
    """
    raise NotImplementedError


# 76 のために `train`（問題 73）に加えること:
#   - オプティマイザは model.to(device) の後で作る
#   - resume_from が None でなければ start = load_checkpoint(resume_from, model, optimizer)、
#     None なら start = 0。エポック start+1 〜 epochs を学習し、それらの
#     エポックの記録だけを返す
#   - 各エポック k の終わりに（記録を測った後で）、checkpoint_dir が None でなければ
#         save_checkpoint(os.path.join(checkpoint_dir, f"epoch_{k}.pt"), k, model, optimizer)
#   - 再開は新しいプロセスで行われ、中断した学習をそのまま続けなければならない。
#     グローバル変数や前の呼び出しに頼らないこと。各エポックのシャッフルは
#     エポック番号だけで決めるとよい。
#     例: torch.randperm(n, generator=torch.Generator().manual_seed(k))
