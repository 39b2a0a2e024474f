"""Chapter 8's messages, English and Japanese: merged with the engine's table into one catalog."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "skipped_no_cuda": {
        "en": "skipped: no CUDA device on this machine",
        "ja": "スキップ: このマシンには CUDA デバイスがありません",
    },
    "skipped_time": {
        "en": "skipped: the submission's time budget ran out before this item",
        "ja": "スキップ: この項目の前に提出物の制限時間を使い切りました",
    },
    "mismatch": {"en": "`{what}` is not close to the reference", "ja": "`{what}` が参照解と一致しません"},
    "hint_overflow": {
        "en": "hint: exp overflows for large inputs; subtract the maximum first (or use torch.logsumexp)",
        "ja": "ヒント: 大きな入力で exp がオーバーフローしています。先に最大値を引くか torch.logsumexp を使いましょう",
    },
    "hint_log_of_softmax": {
        "en": "hint: log(softmax(x)) gives log(0) = -inf for large logits; compute logsumexp(x) - x[y] instead",
        "ja": "ヒント: 大きなロジットでは log(softmax(x)) が log(0) = -inf になります。logsumexp(x) - x[y] で計算しましょう",
    },
    "hint_zero_division": {
        "en": "hint: a title with no known word must give a zero row, not 0/0",
        "ja": "ヒント: 既知の単語がないタイトルはゼロ行にします (0/0 にしない)",
    },
    "not_sum_to_one": {
        "en": "the values along dim={dim} sum to {value}, but should sum to 1",
        "ja": "dim={dim} 方向の和が {value} ですが、1 であるべきです",
    },
    "not_probability": {
        "en": "`{what}{index}` = {value} is not a probability (outside [0, 1])",
        "ja": "`{what}{index}` = {value} は確率ではありません ([0, 1] の範囲外)",
    },
    "not_shift_invariant": {
        "en": "adding {shift} to every input changed the result: `{what}{index}` went from {before} to {after}; softmax(x + c) must equal softmax(x)",
        "ja": "入力すべてに {shift} を足すと結果が変わりました: `{what}{index}` が {before} から {after} に。softmax(x + c) は softmax(x) と等しいはずです",
    },
    "rows_not_zero": {
        "en": "row {row} of the gradient sums to {value}, but each row of dL/dlogits must sum to 0",
        "ja": "勾配の {row} 行目の和が {value} ですが、dL/dlogits の各行の和は 0 のはずです",
    },
    "grad_inconsistent": {
        "en": "`{what}` does not match the numerical gradient of {forward} (central differences in float64): along a random direction the slope is {numeric}, your gradient gives {analytic}",
        "ja": "`{what}` が {forward} の数値微分 (float64 の中心差分) と一致しません: ランダムな方向への傾きは {numeric} ですが、あなたの勾配では {analytic} です",
    },
    "grad_entry": {
        "en": "`{what}{index}` = {got}, but the numerical gradient of {forward} is roughly {expected}",
        "ja": "`{what}{index}` = {got} ですが、{forward} の数値微分はおよそ {expected} です",
    },
    "your_forward": {"en": "your `{fn}`", "ja": "あなたの `{fn}`"},
    "reference_forward": {"en": "the reference `{fn}`", "ja": "参照実装の `{fn}`"},
    "hint_sign_flipped": {
        "en": "hint: your result has the opposite sign (a minus sign missing or extra?)",
        "ja": "ヒント: 符号が逆のようです (マイナスの付け忘れ・付けすぎ?)",
    },
    "hint_times_n": {
        "en": "hint: your result is n = {n} times too large (missing division by the batch size?)",
        "ja": "ヒント: 結果が n = {n} 倍大きいようです (バッチサイズで割り忘れ?)",
    },
    "hint_over_n": {
        "en": "hint: your result is n = {n} times too small (divided by the batch size where a sum is needed?)",
        "ja": "ヒント: 結果が n = {n} 分の 1 になっているようです (和をとるべきところでバッチサイズで割った?)",
    },
    "hint_sum_not_mean": {
        "en": "hint: your loss is the sum over the batch; the contract asks for the mean",
        "ja": "ヒント: 損失がバッチの和になっています。平均を返してください",
    },
    "hint_other_dim": {
        "en": "hint: your result is the softmax along another dimension; use the `dim` argument",
        "ja": "ヒント: 別の次元方向の softmax になっています。引数 `dim` を使ってください",
    },
    "hint_bias_axis": {
        "en": "hint: `grad_b` is summed over the wrong axis: sum grad_y over the batch (dim 0)",
        "ja": "ヒント: `grad_b` の和をとる軸が違います。grad_y をバッチ方向 (dim 0) に足してください",
    },
    "hint_zero": {"en": "hint: your result is all zeros", "ja": "ヒント: 結果がすべて 0 です"},
    "hint_bias_ignored": {
        "en": "hint: your result equals x @ W without the bias b",
        "ja": "ヒント: バイアス b を足していない x @ W と同じ結果です",
    },
    "hint_no_onehot": {
        "en": "hint: your gradient equals softmax(logits) / n: the one-hot of y is not subtracted",
        "ja": "ヒント: 勾配が softmax(logits) / n と同じです。y の one-hot を引いていません",
    },
    "hint_log_softmax": {
        "en": "hint: your result looks like the log of the softmax",
        "ja": "ヒント: softmax の対数になっているようです",
    },
    "hint_no_softmax": {
        "en": "hint: your result equals the raw scores X @ W: the softmax is missing",
        "ja": "ヒント: 結果が X @ W そのままです。softmax がありません",
    },
    "hint_unknown_counted": {
        "en": "hint: unknown tokens seem to be counted in the mean; average over the known tokens only",
        "ja": "ヒント: 未知語も平均の分母に数えているようです。既知の単語だけで平均してください",
    },
    "hint_dedup": {
        "en": "hint: repeated tokens seem to be counted once; every occurrence counts",
        "ja": "ヒント: 重複する単語を 1 回しか数えていないようです。出現するたびに数えてください",
    },
    "not_a_module": {
        "en": "`{call}` returned {got}, but should return a torch.nn.Module",
        "ja": "`{call}` が {got} を返しましたが、torch.nn.Module を返すべきです",
    },
    "history_type": {
        "en": "`train` returned {got}, but should return a list with one dict per epoch",
        "ja": "`train` が {got} を返しましたが、エポックごとに 1 つの dict を並べたリストを返すべきです",
    },
    "history_len": {
        "en": "`train` returned {got} records for {expected} epochs; it should return one record per epoch",
        "ja": "`train` が {expected} エポックに対して {got} 個の記録を返しました。1 エポックにつき 1 つの記録を返してください",
    },
    "history_keys": {
        "en": "record {k} of the history has keys {got}; each record needs exactly {expected}",
        "ja": "履歴の {k} 番目の記録のキーが {got} です。各記録には {expected} が必要です",
    },
    "history_value": {
        "en": "record {k} of the history: `{key}` = {got} is not {expected}",
        "ja": "履歴の {k} 番目の記録: `{key}` = {got} は {expected} ではありません",
    },
    "history_epoch": {
        "en": "record {k} of the history has epoch {got}, but should have epoch {expected} (epochs are counted from 1)",
        "ja": "履歴の {k} 番目の記録の epoch が {got} ですが、{expected} であるべきです (エポックは 1 から数えます)",
    },
    "a_finite_number": {"en": "a finite number", "ja": "有限の数"},
    "a_fraction": {"en": "an accuracy in [0, 1]", "ja": "[0, 1] の範囲の正解率"},
    "an_int": {"en": "an int", "ja": "int"},
    "loss_not_decreasing": {
        "en": "training did not lower the loss: the mean cross-entropy on the training data went from {before} to {after} (measured by the checker)",
        "ja": "学習で損失が下がりませんでした: 訓練データの平均交差エントロピーが {before} から {after} になりました (チェッカーが計測)",
    },
    "loss_too_high": {
        "en": "after training, the mean cross-entropy on the training data is {after}; a working training loop gets it below {target}",
        "ja": "学習後の訓練データの平均交差エントロピーが {after} です。正しく学習できていれば {target} 未満になります",
    },
    "hint_no_step": {
        "en": "hint: the model did not change at all during training: is optimizer.step() called?",
        "ja": "ヒント: 学習中にモデルがまったく変化していません。optimizer.step() を呼んでいますか?",
    },
    "hint_double_softmax": {
        "en": "hint: softmax applied before CrossEntropyLoss? CrossEntropyLoss takes raw scores (logits) and applies log-softmax itself",
        "ja": "ヒント: CrossEntropyLoss の前に softmax を適用していませんか? CrossEntropyLoss は生のスコア (ロジット) を受け取り、自分で log-softmax を計算します",
    },
    "hint_model_softmax": {
        "en": "hint: the model's outputs are probabilities (a Softmax layer in the model?); the model should output logits",
        "ja": "ヒント: モデルの出力が確率になっています (モデルに Softmax 層?)。モデルはロジットを出力してください",
    },
    "accuracy_below": {
        "en": "test accuracy {got} (measured by the checker on held-out data) is below the required {threshold}",
        "ja": "テスト正解率 {got} (チェッカーが未公開データで計測) が必要な {threshold} に届きません",
    },
    "accuracy_mismatch": {
        "en": "`accuracy(model, X, y)` = {got} on {case}, but the checker measures {expected}",
        "ja": "{case} で `accuracy(model, X, y)` = {got} ですが、チェッカーの計測では {expected} です",
    },
    "hint_percent": {
        "en": "hint: accuracy must be a fraction in [0, 1], not a percentage",
        "ja": "ヒント: 正解率はパーセントではなく [0, 1] の割合で返してください",
    },
    "history_recompute": {
        "en": "epoch {k}'s record says {key} = {got}, but the checker measures {expected} from that epoch's weights ({data} data, eval mode)",
        "ja": "エポック {k} の記録では {key} = {got} ですが、そのエポックの重みからチェッカーが計測すると {expected} です ({data} データ、eval モード)",
    },
    "hint_valid_on_train": {
        "en": "hint: the valid metrics look like they were computed on the training data",
        "ja": "ヒント: 検証データの指標が訓練データで計算されているようです",
    },
    "hint_running_mean": {
        "en": "hint: metrics must be measured after the epoch, in eval mode, not averaged over the epoch's batches",
        "ja": "ヒント: 指標はエポックのバッチ平均ではなく、エポック終了後に eval モードで計測してください",
    },
    "plot_missing": {
        "en": "`plot_history(history, path)` wrote no file at the given path",
        "ja": "`plot_history(history, path)` が指定したパスにファイルを書きませんでした",
    },
    "plot_invalid": {
        "en": "the file written by `plot_history` is not a readable PNG ({error})",
        "ja": "`plot_history` が書いたファイルは読める PNG ではありません ({error})",
    },
    "plot_blank": {
        "en": "the plot written by `plot_history` is blank (a single colour)",
        "ja": "`plot_history` が書いた図は空白です (単色)",
    },
    "plot_size": {
        "en": "the plot is {width}×{height} pixels; expected between {lo} and {hi} pixels per side",
        "ja": "図の大きさが {width}×{height} ピクセルです。一辺 {lo} 〜 {hi} ピクセルにしてください",
    },
    "checkpoint_missing": {
        "en": "after {epochs} epochs, `{dir}` should hold {expected}, but holds {got}",
        "ja": "{epochs} エポック後の `{dir}` には {expected} があるはずですが、{got} があります",
    },
    "checkpoint_unreadable": {
        "en": "checkpoint `{name}` could not be loaded with torch.load(..., weights_only=True): {error}",
        "ja": "チェックポイント `{name}` を torch.load(..., weights_only=True) で読み込めませんでした: {error}",
    },
    "checkpoint_content": {"en": "checkpoint `{name}`: {problem}", "ja": "チェックポイント `{name}`: {problem}"},
    "ckpt_keys": {
        "en": 'it has keys {got}, but needs "epoch", "model" and "optimizer"',
        "ja": 'キーが {got} ですが、"epoch"、"model"、"optimizer" が必要です',
    },
    "ckpt_epoch": {
        "en": '"epoch" is {got}, but should be {expected}',
        "ja": '"epoch" が {got} ですが、{expected} であるべきです',
    },
    "ckpt_model": {
        "en": '"model" is not a state_dict of tensors',
        "ja": '"model" がテンソルの state_dict ではありません',
    },
    "ckpt_optimizer": {
        "en": '"optimizer" is not an optimizer state_dict (with "state" and "param_groups")',
        "ja": '"optimizer" がオプティマイザの state_dict ("state" と "param_groups" を含む) ではありません',
    },
    "ckpt_too_large": {"en": "it is larger than {limit} MB", "ja": "{limit} MB より大きいです"},
    "resume_epochs": {
        "en": "resuming from epoch {k} returned epochs {got}; it should return epochs {expected}",
        "ja": "エポック {k} からの再開で返されたエポックは {got} ですが、{expected} であるべきです",
    },
    "resume_far": {
        "en": "resumed from epoch {k} and trained to epoch {E}, the weights are {dist} (relative to how far the uninterrupted run moved) away from the uninterrupted run's; at most {tol} is allowed: training did not continue where it stopped",
        "ja": "エポック {k} から再開して エポック {E} まで学習した重みが、中断しなかった学習の重みから {dist} (中断しなかった学習の移動量に対する比) 離れています。許容は {tol} までです: 中断した所から学習が続いていません",
    },
    "resume_optimizer": {
        "en": "the optimizer state was not restored: resuming from a copy of the checkpoint whose optimizer has lr = 0 still moved the weights ({moved} of a normal run's movement)",
        "ja": "オプティマイザの状態が復元されていません: オプティマイザの lr を 0 にしたチェックポイントから再開しても重みが動きました (通常の学習の移動量の {moved})",
    },
    "hint_load_optimizer": {
        "en": 'hint: call optimizer.load_state_dict(checkpoint["optimizer"]) after creating the optimizer',
        "ja": 'ヒント: オプティマイザを作った後で optimizer.load_state_dict(checkpoint["optimizer"]) を呼んでください',
    },
    "batch_not_faster": {
        "en": "larger batches are not faster: one epoch took {t1} s with batch size 1 and {tb} s with batch size {b} (expected at least {speedup}× faster)",
        "ja": "バッチを大きくしても速くなりません: 1 エポックにバッチサイズ 1 で {t1} 秒、バッチサイズ {b} で {tb} 秒かかりました (少なくとも {speedup} 倍速くなるはずです)",
    },
    "batch_same_result": {
        "en": "all {n} batch sizes gave exactly the same model (train loss {loss} each time): the batch size has no effect",
        "ja": "{n} 通りのバッチサイズがすべてまったく同じモデルになりました (訓練損失はどれも {loss}): バッチサイズが効いていません",
    },
    "hint_batch_ignored": {
        "en": "hint: `batch_size` seems to be ignored",
        "ja": "ヒント: `batch_size` が無視されているようです",
    },
    "batch_not_learning": {
        "en": "with batch size {b}, one epoch did not lower the training loss ({before} → {after})",
        "ja": "バッチサイズ {b} では 1 エポックで訓練損失が下がりませんでした ({before} → {after})",
    },
    "batch_table": {
        "en": "batch size {b}: {t} s per epoch, train loss {loss}",
        "ja": "バッチサイズ {b}: 1 エポック {t} 秒、訓練損失 {loss}",
    },
    "device_params": {
        "en": 'after `train(..., device="cuda")` parameter `{name}` is on {got}; the model must stay on the GPU',
        "ja": '`train(..., device="cuda")` の後、パラメータ `{name}` が {got} にあります。モデルは GPU 上に置いたままにしてください',
    },
    "device_disagree": {
        "en": "training on CUDA gave test accuracy {cuda}, on the CPU {cpu}; they should agree within {tol}",
        "ja": "CUDA での学習のテスト正解率は {cuda}、CPU では {cpu} でした。差は {tol} 以内のはずです",
    },
    "mlp_layers": {
        "en": "`build_mlp` has {n} registered layer(s) with weights; an MLP needs at least 2 (a hidden layer)",
        "ja": "`build_mlp` の重みを持つ登録済みの層は {n} 個です。MLP には少なくとも 2 個 (隠れ層) が必要です",
    },
    "hint_plain_list": {
        "en": "hint: layers kept in a plain Python list ({attrs}) are not registered, so they are never trained: use torch.nn.ModuleList or nn.Sequential",
        "ja": "ヒント: 普通の Python のリスト ({attrs}) に入れた層は登録されず、学習されません。torch.nn.ModuleList か nn.Sequential を使ってください",
    },
    "mlp_linear": {
        "en": "`build_mlp`'s network is linear (f(a + b) - f(a) - f(b) + f(0) is 0 up to {dev}): put a non-linearity such as ReLU between the layers",
        "ja": "`build_mlp` のネットワークは線形です (f(a + b) - f(a) - f(b) + f(0) がほぼ 0: {dev})。層の間に ReLU などの非線形関数を入れてください",
    },
    "history_first_last": {
        "en": "note: no checkpoints from this run, so only epoch 1 (against a 1-epoch run from the same seed) and epoch {last} (against the trained model) were checked",
        "ja": "注: この学習ではチェックポイントが得られなかったため、エポック 1 (同じシードで 1 エポック学習したもの) とエポック {last} (学習後のモデル) だけを照合しました",
    },
    "state_not_tensors": {
        "en": "`{what}`: the model's state_dict() holds something other than tensors ({got})",
        "ja": "`{what}`: モデルの state_dict() にテンソル以外のもの ({got}) が入っています",
    },
    "not_single_layer": {
        "en": "`{what}`: the model is not the single-layer network of task 71: it should hold one weight of shape ({L}, {d}) (or ({d}, {L})) and at most a bias of shape ({L},), but its {n} parameters and buffers include {got}",
        "ja": "`{what}`: モデルが問題 71 の単層ニューラルネットワークではありません。形状 ({L}, {d}) (または ({d}, {L})) の重み 1 つと、あれば形状 ({L},) のバイアスだけを持つはずですが、{n} 個のパラメータとバッファの中に {got} があります",
    },
    "hint_single_layer": {
        "en": "hint: build_model should be torch.nn.Linear(d_in, n_classes) (bias or not): no hidden layer, no batch norm",
        "ja": "ヒント: build_model は torch.nn.Linear(d_in, n_classes) (バイアスはあってもなくてもよい) にします。隠れ層やバッチ正規化は入れません",
    },
    "file_too_large_sandbox": {
        "en": "the file `{path}` is larger than {limit} bytes",
        "ja": "ファイル `{path}` が {limit} バイトを超えています",
    },
    "no_such_file": {"en": "no such file", "ja": "ファイルがありません"},
    "needs_single_layer": {
        "en": "cannot be judged: the trained model is not the single-layer network ({problem})",
        "ja": "判定できません: 学習したモデルが単層ニューラルネットワークではありません ({problem})",
    },
    "see_build_model": {
        "en": "see the item `build_model` of exercise 73",
        "ja": "問題 73 の項目 `build_model` を見てください",
    },
    "weights_not_finite": {
        "en": "after training, the model's weights are not finite (NaN or inf)",
        "ja": "学習後のモデルの重みが有限ではありません (NaN または inf)",
    },
    "hint_lr_too_large": {
        "en": "hint: training diverged; a smaller learning rate usually helps",
        "ja": "ヒント: 学習が発散しています。学習率を小さくするとたいてい直ります",
    },
    "model_not_linear": {
        "en": "the model does not compute X Wᵀ + b with its own parameters: its output [0, 0] is {got}, but X Wᵀ + b gives {expected}",
        "ja": "モデルが自分のパラメータで X Wᵀ + b を計算していません: 出力の [0, 0] が {got} ですが、X Wᵀ + b では {expected} です",
    },
    "hint_lr_range": {
        "en": "hint: learning rates (lr / (1 - momentum)) from {lo} to {hi} are known to reach the threshold in this budget",
        "ja": "ヒント: この学習予算では、学習率 (lr / (1 - momentum)) が {lo} から {hi} の範囲なら必要な正解率に届くことが分かっています",
    },
    "hint_lr_yours": {
        "en": "hint: your checkpoint says lr = {lr}, momentum = {momentum} (effective {effective}); from {lo} to {hi} is known to reach the threshold in this budget",
        "ja": "ヒント: チェックポイントによると lr = {lr}、momentum = {momentum} (実効学習率 {effective}) です。この学習予算では {lo} から {hi} の範囲なら必要な正解率に届くことが分かっています",
    },
    "case_valid_data": {"en": "the validation data", "ja": "検証データ"},
    "case_all_right": {"en": "labels the model gets all right", "ja": "モデルがすべて正解するラベル"},
    "case_all_wrong": {"en": "labels the model gets all wrong", "ja": "モデルがすべて間違えるラベル"},
    "case_one_example": {"en": "a single example", "ja": "1 件だけのデータ"},
    "accuracy_call": {
        "en": "accuracy(model, X[{n} rows], y) on {case}",
        "ja": "{case} での accuracy(model, X[{n} 行], y)",
    },
    "plot_train": {"en": "train", "ja": "訓練"},
    "plot_valid": {"en": "valid", "ja": "検証"},
    "plot_epoch": {"en": "epoch", "ja": "エポック"},
    "plot_loss": {"en": "loss", "ja": "損失"},
    "plot_accuracy": {"en": "accuracy", "ja": "正解率"},
    "plot_history_title": {"en": "history (drawn by the checker)", "ja": "学習の履歴 (チェッカーが描画)"},
    "plot_batch_size": {"en": "batch size", "ja": "バッチサイズ"},
    "plot_seconds_per_epoch": {"en": "seconds per epoch", "ja": "1 エポックの秒数"},
    "plot_timing_title": {
        "en": "CPU time per epoch (measured by the checker)",
        "ja": "1 エポックの CPU 時間 (チェッカーが計測)",
    },
    "plot_ignores_history": {
        "en": "`plot_history` draws the same picture for two different histories: plot the history it is given",
        "ja": "`plot_history` が異なる 2 つの履歴に同じ画像を描きました。渡された履歴を描いてください",
    },
    "plot_missing_curve": {
        "en": "`plot_history` draws the same picture when only `{key}` changes: draw the four curves (train and valid loss, train and valid accuracy)",
        "ja": "`{key}` だけを変えた履歴でも `plot_history` が同じ画像を描きました。4 本の曲線 (訓練と検証の損失、訓練と検証の正解率) を描いてください",
    },
    "checkpoint_not_model": {
        "en": "`{name}` does not hold the model at the end of epoch {k}: its weights are {dist} (relative to the run's movement) away from that model's",
        "ja": "`{name}` はエポック {k} 終了時のモデルではありません: その重みが、そのモデルの重みから {dist} (学習の移動量に対する比) 離れています",
    },
    "checkpoint_same": {
        "en": "`{a}` and `{b}` hold the same weights: each epoch's checkpoint should hold that epoch's model",
        "ja": "`{a}` と `{b}` の重みが同じです。各エポックのチェックポイントにはそのエポックのモデルを保存してください",
    },
    "resume_needs_checkpoint": {
        "en": "resuming cannot be checked: there is no usable `{name}` (see the item `checkpoints`)",
        "ja": "再開を確認できません: 使える `{name}` がありません (項目 `checkpoints` を見てください)",
    },
    "hint_resume_no_training": {
        "en": "hint: the resumed run did not train at all (the weights stayed as in the checkpoint)",
        "ja": "ヒント: 再開した学習がまったく学習していません (重みがチェックポイントのままです)",
    },
    "timing_wall_clock": {
        "en": "note: this backend cannot read the worker's CPU time; the times are the checker's wall clock",
        "ja": "注: このバックエンドではワーカーの CPU 時間を読めないため、チェッカーが計った経過時間です",
    },
    "outputs_not_finite": {
        "en": "the model's outputs are not finite (NaN or inf) for {n} of {total} rows",
        "ja": "モデルの出力が {total} 行中 {n} 行で有限ではありません (NaN または inf)",
    },
    "mlp_nondeterministic": {
        "en": "in eval mode, two forward passes on the same input disagree (by {dev}): model.eval() must make the network deterministic",
        "ja": "eval モードで同じ入力に 2 回順伝播した結果が一致しません (差 {dev})。model.eval() でネットワークは決定的になるはずです",
    },
    "hint_eval_mode": {
        "en": "hint: dropout and batch norm behave deterministically only in eval mode; do not force training behaviour in forward()",
        "ja": "ヒント: dropout やバッチ正規化は eval モードでのみ決定的に動きます。forward() の中で学習時の動作を強制しないでください",
    },
    "mlp_probabilities": {
        "en": "`build_mlp`'s outputs are probabilities (each row in [0, 1], summing to 1): the network must output logits (no softmax at the end)",
        "ja": "`build_mlp` の出力が確率になっています (各行が [0, 1] で和が 1)。ネットワークはロジットを出力してください (最後に softmax を入れない)",
    },
    "public_data_note": {
        "en": "public data: practice grade (the data anyone can rebuild; the instructor grades with secret data)",
        "ja": "公開データ: 練習用の採点です (誰でも再現できるデータです。教員は非公開のデータで採点します)",
    },
    # --- content (issue 8): case labels of 70-72, and what `check show` says of each number ----
    # labels of the fixed cases (spaces.py), shown as the counterexample's "case"
    "case_small_row": {"en": "a small row", "ja": "小さな 1 行"},
    "case_1d_input": {"en": "1-D input", "ja": "1 次元の入力"},
    "case_dim0": {"en": "dim=0", "ja": "dim=0"},
    "case_dim1": {"en": "dim=1", "ja": "dim=1"},
    "case_magnitude_1e4": {"en": "magnitude 1e4", "ja": "大きさ 1e4 の値"},
    "case_large_negative": {"en": "large negative values", "ja": "絶対値の大きい負の値"},
    "case_float64_constant_row": {"en": "float64, a constant row", "ja": "float64、すべて同じ値の行"},
    "case_default_dim": {"en": "the default dim", "ja": "dim を省略"},
    "case_small_batch": {"en": "a small batch", "ja": "小さなバッチ"},
    "case_1d_x": {"en": "a 1-D x", "ja": "1 次元の x"},
    "case_scores_1e4": {"en": "scores near 1e4", "ja": "1e4 程度のスコア"},
    "case_one_row_two_classes": {"en": "one row, two classes, magnitude 1e4", "ja": "1 行、2 クラス、大きさ 1e4"},
    "case_float64": {"en": "float64", "ja": "float64"},
    "case_with_bias": {"en": "with a bias", "ja": "バイアスあり"},
    "case_no_bias_given": {"en": "no bias given", "ja": "バイアスを渡さない"},
    "case_b_none": {"en": "b=None", "ja": "b=None"},
    "case_one_row": {"en": "one row", "ja": "1 行"},
    "case_float64_scores_1e4": {"en": "float64, scores near 1e4", "ja": "float64、1e4 程度のスコア"},
    "case_known_words": {"en": "known words", "ja": "既知の単語"},
    "case_unknown_words": {"en": "unknown words, a title with none known", "ja": "未知語、既知の単語がない見出し"},
    "case_repeated_tokens": {"en": "repeated tokens", "ja": "繰り返し出てくるトークン"},
    "case_empty_title": {"en": "an empty title", "ja": "空の見出し"},
    # the parameters of an item (spec.toml params), explained by `check show`: param_<item>_<name> before param_<name>
    "param_epochs": {
        "en": "epochs of this item's training run (passed to `train` as `epochs`)",
        "ja": "この項目の学習で `train` に `epochs` として渡すエポック数",
    },
    "param_batch_size": {
        "en": "the batch size of this item's training run (passed to `train` as `batch_size`)",
        "ja": "この項目の学習で `train` に `batch_size` として渡すバッチサイズ",
    },
    "param_loss_ratio": {
        "en": "after training, the loss on the training data must be below this times its value before training",
        "ja": "学習後の訓練データでの損失は、学習前の値のこの倍率未満でなければなりません",
    },
    "param_max_final_loss": {
        "en": "after training, the loss on the training data must also be at most this (softmax applied before the cross-entropy cannot get that low)",
        "ja": "学習後の訓練データでの損失は、この値以下でもなければなりません (交差エントロピーの前に softmax をかけるとここまで下がりません)",
    },
    "param_checkpoints_epochs": {
        "en": "epochs of the run that writes the checkpoints; each epoch is one full-batch update (batch size = every training example), so the run is deterministic",
        "ja": "チェックポイントを書く学習のエポック数。各エポックは全データで 1 回の更新 (バッチサイズ = 訓練データの事例数) なので、学習は決定的です",
    },
    "param_resume_epochs": {
        "en": "epochs of the uninterrupted run (full batch); resuming starts from the checkpoint of epoch epochs // 2 and trains up to this epoch",
        "ja": "中断しない学習のエポック数 (全データのバッチ)。再開はエポック epochs // 2 のチェックポイントから始め、このエポックまで学習します",
    },
    "param_checkpoint_rtol": {
        "en": "how far a checkpoint's weights may be from the model at the end of its epoch, relative to how far training moved the weights",
        "ja": "チェックポイントの重みとそのエポック終了時のモデルの重みとの差の許容値 (学習で重みが動いた距離に対する比)",
    },
    "param_resume_rtol": {
        "en": "how far the resumed run's final weights may be from the uninterrupted run's, relative to how far that run moved them after the checkpoint",
        "ja": "再開した学習の最終的な重みと、中断しない学習の重みとの差の許容値 (チェックポイント以降に重みが動いた距離に対する比)",
    },
    "param_budget_s": {
        "en": "CPU seconds the checker spends timing one epoch for batch sizes 1, 2, 4, … (it stops doubling when the next would not fit)",
        "ja": "バッチサイズ 1, 2, 4, … で 1 エポックの時間を測るのに使う CPU 時間 (秒)。次のサイズが収まらなくなったところで倍にするのをやめます",
    },
    "param_min_speedup": {
        "en": "the fastest larger batch size must train one epoch at least this many times faster than batch size 1",
        "ja": "大きいバッチサイズのうち最も速いものは、バッチサイズ 1 より 1 エポックあたり少なくともこの倍数だけ速くなければなりません",
    },
    "param_max_batch": {"en": "the largest batch size timed", "ja": "時間を測る最大のバッチサイズ"},
    "param_accuracy_tolerance": {
        "en": 'the test accuracies of the models trained on "cuda" and on "cpu", both measured by the checker, may differ by at most this',
        "ja": '"cuda" で学習したモデルと "cpu" で学習したモデルのテスト正解率 (どちらもチェッカーが計測) の差の許容値',
    },
    "param_train_timeout_s": {
        "en": "seconds one call of `train` may take in this item",
        "ja": "この項目で `train` の呼び出し 1 回にかけられる時間 (秒)",
    },
    "param_localise_max": {
        "en": "when a gradient disagrees, it is checked entry by entry if it has at most this many entries",
        "ja": "勾配が一致しないとき、要素数がこの値以下なら要素ごとに確認します",
    },
    # the accuracy table of a spec (73, 79), explained by `check show`
    "accuracy_linear_threshold": {
        "en": "the test accuracy (measured by the checker) that the trained single-layer model must reach",
        "ja": "学習した単層モデルが到達しなければならないテスト正解率 (チェッカーが計測)",
    },
    "accuracy_linear_reference": {
        "en": "the reference solution's test accuracy on the public default data (the threshold comes from the calibration grid)",
        "ja": "公開の既定データでの参照解のテスト正解率 (基準は較正グリッドから決めています)",
    },
    "accuracy_mlp_threshold": {
        "en": "the test accuracy (measured by the checker) that the trained multi-layer model must reach",
        "ja": "学習した多層モデルが到達しなければならないテスト正解率 (チェッカーが計測)",
    },
    "accuracy_mlp_reference": {
        "en": "the reference solution's test accuracy on the public default data (the threshold comes from the calibration grid)",
        "ja": "公開の既定データでの参照解のテスト正解率 (基準は較正グリッドから決めています)",
    },
    "accuracy_margin": {
        "en": "how far below the reference the threshold is set",
        "ja": "基準を参照解の正解率からどれだけ下げるか",
    },
    "accuracy_lr_range": {
        "en": "learning rates (lr / (1 - momentum)) in this range are known to reach the threshold with these epochs and batch sizes",
        "ja": "この範囲の学習率 (lr / (1 - momentum)) なら、このエポック数とバッチサイズで基準に届くことが分かっています",
    },
    # --- end of the content block ----------------------------------------------------------------
}
