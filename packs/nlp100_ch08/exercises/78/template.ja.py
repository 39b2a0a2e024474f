"""言語処理100本ノック 第8章 問題78: GPU 上での学習。

新しく定義する関数はありません。問題 78 では `train`（問題 73）が `device` を
どう使うかを採点します。下のコメントのとおりに `train` を拡張してください。
採点するマシンに CUDA デバイスがなければ、78 の項目はスキップされます。
`check submit FILE` で採点します。
"""

# 78 のために `train` が守ること:
#   - `device` は "cpu" か "cuda"。まず model.to(device) し、その後で
#     オプティマイザを作る。学習データ（最初に 1 回、またはバッチごと）と
#     検証データを .to(device) で `device` に移す
#   - `train` が返った後も、モデルは `device` に置いたままにする（戻さない）
#   - 記録には GPU 上のテンソルではなく Python の float を入れる（.item()）
#   - チェックポイントは torch.load(path, map_location=device) で読む
#   - `accuracy`（74）はモデルがどのデバイスにあっても動くこと
#   - device="cpu" でもこれまでどおり動くこと
