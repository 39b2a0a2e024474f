"""Every message the checker shows, in English and Japanese, from one table.

Keys are stable identifiers; ``render(key, lang, **params)`` formats one.
A test checks that every key has both languages and the same placeholders.
"""
from __future__ import annotations

import string

LANGS = ("en", "ja")

MESSAGES: dict[str, dict[str, str]] = {
    # --- statuses and generic outcomes --------------------------------
    "passed": {"en": "all checks passed", "ja": "すべてのチェックに合格しました"},
    "not_implemented": {"en": "`{function}` is not defined in your file", "ja": "ファイルに `{function}` が定義されていません"},
    "not_implemented_many": {"en": "your file does not define {functions}", "ja": "ファイルに {functions} が定義されていません"},
    "internal_error": {
        "en": "internal error: this is a bug in the checker, not in your code ({error}). Please report it with this output.",
        "ja": "内部エラー: これはチェッカーの不具合で、あなたのコードの問題ではありません ({error})。この出力を添えて報告してください。",
    },
    "skipped_no_cuda": {"en": "skipped: no CUDA device on this machine", "ja": "スキップ: このマシンには CUDA デバイスがありません"},
    "skipped_time": {"en": "skipped: the submission's time budget ran out before this item", "ja": "スキップ: この項目の前に提出物の制限時間を使い切りました"},
    # --- import / sandbox ---------------------------------------------
    "import_failed": {"en": "your file could not be imported: {error}", "ja": "ファイルを読み込めませんでした: {error}"},
    "import_exit": {"en": "your file exits while it is being imported (sys.exit / exit status {code}); nothing at module level may end the program",
                    "ja": "ファイルの読み込み中にプログラムが終了しました (sys.exit / 終了ステータス {code})。モジュールのトップレベルでプログラムを終了させてはいけません"},
    "import_timeout": {"en": "importing your file took longer than {limit} s (an endless loop at module level?)",
                       "ja": "ファイルの読み込みが {limit} 秒以内に終わりませんでした (トップレベルの無限ループ?)"},
    "import_crashed": {"en": "the process died while importing your file ({detail})", "ja": "ファイルの読み込み中にプロセスが終了しました ({detail})"},
    "syntax_error": {"en": "syntax error at line {line}: {error}", "ja": "{line} 行目に構文エラーがあります: {error}"},
    "module_not_available": {"en": "module `{module}` is not available in the grader (only the standard library, torch, numpy and matplotlib are)",
                             "ja": "モジュール `{module}` は採点環境にありません (使えるのは標準ライブラリ、torch、numpy、matplotlib だけです)"},
    "file_too_large": {"en": "the submission is larger than {limit} bytes", "ja": "提出ファイルが {limit} バイトを超えています"},
    "raised": {"en": "`{call}` raised {type}: {message}", "ja": "`{call}` が例外 {type} を送出しました: {message}"},
    "raised_at": {"en": "at line {line} in {function}: {code}", "ja": "{function} の {line} 行目: {code}"},
    "called_exit": {"en": "`{call}` tried to end the program (SystemExit {code}); a function must return its result",
                    "ja": "`{call}` がプログラムを終了しようとしました (SystemExit {code})。関数は結果を return してください"},
    "call_timeout": {"en": "`{call}` did not return within {limit} s (an endless loop, or far too slow)",
                     "ja": "`{call}` が {limit} 秒以内に終わりませんでした (無限ループ、または遅すぎます)"},
    "call_crashed": {"en": "the process running your code died during `{call}` ({detail}): e.g. os._exit, a crash, or the memory limit of {memory_mb} MB",
                     "ja": "`{call}` の実行中にプロセスが終了しました ({detail})。os._exit、クラッシュ、またはメモリ上限 {memory_mb} MB の超過などが考えられます"},
    "memory_error": {"en": "`{call}` ran out of memory (limit {memory_mb} MB)", "ja": "`{call}` がメモリ不足になりました (上限 {memory_mb} MB)"},
    "protocol": {"en": "the answer from your code's process could not be read ({detail}); do not write to the checker's pipes",
                 "ja": "あなたのコードのプロセスからの応答を読めませんでした ({detail})。チェッカーのパイプに書き込まないでください"},
    "total_timeout": {"en": "the submission used up its total time of {limit} s", "ja": "提出物全体の制限時間 {limit} 秒を使い切りました"},
    "exit_status": {"en": "exit status {code}", "ja": "終了ステータス {code}"},
    "killed_signal": {"en": "killed by signal {signal}", "ja": "シグナル {signal} で強制終了"},
    # --- returned values ------------------------------------------------
    "bad_type": {"en": "`{what}` is {got}, but should be {expected}", "ja": "`{what}` が {got} ですが、{expected} であるべきです"},
    "bad_len": {"en": "`{what}` has {got} elements, but should have {expected}", "ja": "`{what}` の要素数が {got} ですが、{expected} であるべきです"},
    "bad_shape": {"en": "`{what}` has shape {got}, but should have shape {expected}", "ja": "`{what}` の形状が {got} ですが、{expected} であるべきです"},
    "bad_dtype": {"en": "`{what}` has dtype {got}, but should have dtype {expected} (the input's dtype)",
                  "ja": "`{what}` の dtype が {got} ですが、{expected} (入力の dtype) であるべきです"},
    "tensor_subclass": {"en": "a subclass of torch.Tensor ({type}): return a plain torch.Tensor", "ja": "torch.Tensor のサブクラス ({type})。普通の torch.Tensor を返してください"},
    "opaque": {"en": "an object of type {type}", "ja": "{type} 型のオブジェクト"},
    "a_tensor": {"en": "a torch.Tensor", "ja": "torch.Tensor"},
    "a_tuple": {"en": "a tuple of {n}", "ja": "要素数 {n} のタプル"},
    "a_float": {"en": "a Python float", "ja": "Python の float"},
    "a_list": {"en": "a list", "ja": "リスト"},
    "a_dict": {"en": "a dict", "ja": "辞書 (dict)"},
    "a_value": {"en": "a value of type {type}", "ja": "{type} 型の値"},
    # --- numeric checks ---------------------------------------------------
    "mismatch": {"en": "`{what}` is not close to the reference", "ja": "`{what}` が参照解と一致しません"},
    "mismatch_entry": {"en": "`{what}{index}` = {got}, but should be roughly {expected}", "ja": "`{what}{index}` = {got} ですが、およそ {expected} であるべきです"},
    "mismatch_count": {"en": "Mismatched elements: {count} / {total} ({share})", "ja": "一致しない要素: {count} / {total} ({share})"},
    "mismatch_abs": {"en": "Greatest absolute difference: {value} at index {index} (up to {tol} allowed)",
                     "ja": "最大の絶対誤差: {value} (位置 {index}、許容 {tol})"},
    "mismatch_rel": {"en": "Greatest relative difference: {value} at index {index} (up to {tol} allowed)",
                     "ja": "最大の相対誤差: {value} (位置 {index}、許容 {tol})"},
    "non_finite": {"en": "`{what}{index}` is {value} for finite input", "ja": "有限の入力に対して `{what}{index}` が {value} になりました"},
    "hint_overflow": {"en": "hint: exp overflows for large inputs; subtract the maximum first (or use torch.logsumexp)",
                      "ja": "ヒント: 大きな入力で exp がオーバーフローしています。先に最大値を引くか torch.logsumexp を使いましょう"},
    "hint_log_of_softmax": {"en": "hint: log(softmax(x)) gives log(0) = -inf for large logits; compute logsumexp(x) - x[y] instead",
                            "ja": "ヒント: 大きなロジットでは log(softmax(x)) が log(0) = -inf になります。logsumexp(x) - x[y] で計算しましょう"},
    "hint_zero_division": {"en": "hint: a title with no known word must give a zero row, not 0/0",
                           "ja": "ヒント: 既知の単語がないタイトルはゼロ行にします (0/0 にしない)"},
    "modified_input": {"en": "the call modified its input `{arg}` in place (e.g. `x -= ...`, `x.sub_()`); compute on a new tensor instead",
                       "ja": "入力 `{arg}` がその場で書き換えられました (`x -= ...`、`x.sub_()` など)。新しいテンソルで計算してください"},
    "not_sum_to_one": {"en": "the values along dim={dim} sum to {value}, but should sum to 1", "ja": "dim={dim} 方向の和が {value} ですが、1 であるべきです"},
    "not_probability": {"en": "`{what}{index}` = {value} is not a probability (outside [0, 1])", "ja": "`{what}{index}` = {value} は確率ではありません ([0, 1] の範囲外)"},
    "not_shift_invariant": {"en": "adding {shift} to every input changed the result: `{what}{index}` went from {before} to {after}; softmax(x + c) must equal softmax(x)",
                            "ja": "入力すべてに {shift} を足すと結果が変わりました: `{what}{index}` が {before} から {after} に。softmax(x + c) は softmax(x) と等しいはずです"},
    "rows_not_zero": {"en": "row {row} of the gradient sums to {value}, but each row of dL/dlogits must sum to 0",
                      "ja": "勾配の {row} 行目の和が {value} ですが、dL/dlogits の各行の和は 0 のはずです"},
    "nondeterministic": {"en": "`{call}` returned different results for the same input", "ja": "`{call}` が同じ入力に対して異なる結果を返しました"},
    # --- gradients --------------------------------------------------------
    "grad_inconsistent": {"en": "`{what}` does not match the numerical gradient of {forward} (central differences in float64): along a random direction the slope is {numeric}, your gradient gives {analytic}",
                          "ja": "`{what}` が {forward} の数値微分 (float64 の中心差分) と一致しません: ランダムな方向への傾きは {numeric} ですが、あなたの勾配では {analytic} です"},
    "grad_entry": {"en": "`{what}{index}` = {got}, but the numerical gradient of {forward} is roughly {expected}",
                   "ja": "`{what}{index}` = {got} ですが、{forward} の数値微分はおよそ {expected} です"},
    "your_forward": {"en": "your `{fn}`", "ja": "あなたの `{fn}`"},
    "reference_forward": {"en": "the reference `{fn}`", "ja": "参照実装の `{fn}`"},
    # --- hints: likely mistakes ---------------------------------------------
    "hint_transposed": {"en": "hint: your result looks transposed", "ja": "ヒント: 結果が転置されているようです"},
    "hint_sign_flipped": {"en": "hint: your result has the opposite sign (a minus sign missing or extra?)", "ja": "ヒント: 符号が逆のようです (マイナスの付け忘れ・付けすぎ?)"},
    "hint_times_n": {"en": "hint: your result is n = {n} times too large (missing division by the batch size?)", "ja": "ヒント: 結果が n = {n} 倍大きいようです (バッチサイズで割り忘れ?)"},
    "hint_over_n": {"en": "hint: your result is n = {n} times too small (divided by the batch size where a sum is needed?)", "ja": "ヒント: 結果が n = {n} 分の 1 になっているようです (和をとるべきところでバッチサイズで割った?)"},
    "hint_sum_not_mean": {"en": "hint: your loss is the sum over the batch; the contract asks for the mean", "ja": "ヒント: 損失がバッチの和になっています。平均を返してください"},
    "hint_other_dim": {"en": "hint: your result is the softmax along another dimension; use the `dim` argument", "ja": "ヒント: 別の次元方向の softmax になっています。引数 `dim` を使ってください"},
    "hint_bias_axis": {"en": "hint: `grad_b` is summed over the wrong axis: sum grad_y over the batch (dim 0)", "ja": "ヒント: `grad_b` の和をとる軸が違います。grad_y をバッチ方向 (dim 0) に足してください"},
    "hint_zero": {"en": "hint: your result is all zeros", "ja": "ヒント: 結果がすべて 0 です"},
    "hint_bias_ignored": {"en": "hint: your result equals x @ W without the bias b", "ja": "ヒント: バイアス b を足していない x @ W と同じ結果です"},
    "hint_no_onehot": {"en": "hint: your gradient equals softmax(logits) / n: the one-hot of y is not subtracted", "ja": "ヒント: 勾配が softmax(logits) / n と同じです。y の one-hot を引いていません"},
    "hint_log_softmax": {"en": "hint: your result looks like the log of the softmax", "ja": "ヒント: softmax の対数になっているようです"},
    "hint_no_softmax": {"en": "hint: your result equals the raw scores X @ W: the softmax is missing", "ja": "ヒント: 結果が X @ W そのままです。softmax がありません"},
    "hint_unknown_counted": {"en": "hint: unknown tokens seem to be counted in the mean; average over the known tokens only",
                             "ja": "ヒント: 未知語も平均の分母に数えているようです。既知の単語だけで平均してください"},
    "hint_dedup": {"en": "hint: repeated tokens seem to be counted once; every occurrence counts", "ja": "ヒント: 重複する単語を 1 回しか数えていないようです。出現するたびに数えてください"},
    # --- hand-written rule ----------------------------------------------------
    "forbidden_call": {"en": "`{name}` is not allowed in a hand-written `{function}` (line {line}{via})",
                       "ja": "手書きで実装する `{function}` では `{name}` は使えません ({line} 行目{via})"},
    "forbidden_via": {"en": ", in `{helper}` called from it", "ja": "、そこから呼ばれる `{helper}` の中"},
    "forbidden_runtime": {"en": "`{name}` was called while `{function}` ran; a hand-written `{function}` must compute the result itself",
                          "ja": "`{function}` の実行中に `{name}` が呼ばれました。手書きの `{function}` は自分で計算しなければなりません"},
    "source_unreadable": {"en": "the source of `{function}` could not be analysed: {error}", "ja": "`{function}` のソースを解析できませんでした: {error}"},
    # --- report text -------------------------------------------------------
    "counterexample": {"en": "smallest failing input found", "ja": "見つかった最小の反例"},
    "input": {"en": "input", "ja": "入力"},
    "got": {"en": "got", "ja": "返り値"},
    "expected": {"en": "expected", "ja": "期待値"},
    "repro": {"en": "reproduce with", "ja": "再現コマンド"},
    "score": {"en": "score", "ja": "得点"},
    "total": {"en": "total", "ja": "合計"},
    "isolation": {"en": "isolation", "ja": "隔離"},
    "backend": {"en": "backend", "ja": "バックエンド"},
    "dataset": {"en": "data", "ja": "データ"},
    "your_output": {"en": "output of your code (cut at {kb} KiB)", "ja": "あなたのコードの出力 ({kb} KiB まで)"},
    "output_truncated": {"en": "... ({bytes} bytes in all; the rest is cut)", "ja": "... (全 {bytes} バイト、残りは省略)"},
    "status_passed": {"en": "passed", "ja": "合格"},
    "status_failed": {"en": "failed", "ja": "不合格"},
    "status_error": {"en": "error", "ja": "エラー"},
    "status_timeout": {"en": "timeout", "ja": "時間切れ"},
    "status_skipped": {"en": "skipped", "ja": "スキップ"},
    "status_not_implemented": {"en": "not implemented", "ja": "未実装"},
    "internal_errors_note": {"en": "{n} item(s) could not be graded because of a checker bug; the score is incomplete",
                             "ja": "チェッカーの不具合のため {n} 項目を採点できませんでした。得点は確定していません"},
}


def render(key: str, lang: str = "en", **params) -> str:
    """Format message ``key`` in ``lang``; unknown languages fall back to English."""
    entry = MESSAGES[key]
    text = entry.get(lang) or entry["en"]
    return text.format(**params)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}
