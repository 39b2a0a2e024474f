"""Every message the checker shows, in English and Japanese, from one table.

Keys are stable identifiers.  The engine's own messages are ``MESSAGES`` here;
each exercise pack adds its table, and a ``Catalog`` merges them into the one
table a grading renders from (a key may be defined once only).  ``Msg`` is a
message not yet rendered: failures carry it, records hold the rendered text.
A test checks that every key has both languages and the same placeholders.
"""
from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Mapping

LANGS = ("en", "ja")

MESSAGES: dict[str, dict[str, str]] = {
    "passed": {"en": "all checks passed", "ja": "すべてのチェックに合格しました"},
    "not_implemented": {"en": "`{function}` is not defined in your file", "ja": "ファイルに `{function}` が定義されていません"},
    "not_implemented_many": {"en": "your file does not define {functions}", "ja": "ファイルに {functions} が定義されていません"},
    "internal_error": {
        "en": "internal error: this is a bug in the checker, not in your code ({error}). Please report it with this output.",
        "ja": "内部エラー: これはチェッカーの不具合で、あなたのコードの問題ではありません ({error})。この出力を添えて報告してください。",
    },
    "import_failed": {"en": "your file could not be imported: {error}", "ja": "ファイルを読み込めませんでした: {error}"},
    "import_exit": {"en": "your file exits while it is being imported (sys.exit / exit status {code}); nothing at module level may end the program",
                    "ja": "ファイルの読み込み中にプログラムが終了しました (sys.exit / 終了ステータス {code})。モジュールのトップレベルでプログラムを終了させてはいけません"},
    "import_timeout": {"en": "importing your file took longer than {limit} s (an endless loop at module level?)",
                       "ja": "ファイルの読み込みが {limit} 秒以内に終わりませんでした (トップレベルの無限ループ?)"},
    "import_crashed": {"en": "the process died while importing your file ({detail})", "ja": "ファイルの読み込み中にプロセスが終了しました ({detail})"},
    "syntax_error": {"en": "syntax error at {at}: {error}", "ja": "{at}に構文エラーがあります: {error}"},
    "module_not_available": {"en": "module `{module}` is not available in the grader (only the standard library, torch, numpy and matplotlib are)",
                             "ja": "モジュール `{module}` は採点環境にありません (使えるのは標準ライブラリ、torch、numpy、matplotlib だけです)"},
    "file_too_large": {"en": "the submission is larger than {limit} bytes", "ja": "提出ファイルが {limit} バイトを超えています"},
    "raised": {"en": "`{call}` raised {type}: {message}", "ja": "`{call}` が例外 {type} を送出しました: {message}"},
    "raised_at": {"en": "at {at} in {function}: {code}", "ja": "{function} の {at}: {code}"},
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
    "mismatch_entry": {"en": "`{what}{index}` = {got}, but should be roughly {expected}", "ja": "`{what}{index}` = {got} ですが、およそ {expected} であるべきです"},
    "mismatch_count": {"en": "Mismatched elements: {count} / {total} ({share})", "ja": "一致しない要素: {count} / {total} ({share})"},
    "mismatch_abs": {"en": "Greatest absolute difference: {value} at index {index} (up to {tol} allowed)",
                     "ja": "最大の絶対誤差: {value} (位置 {index}、許容 {tol})"},
    "mismatch_rel": {"en": "Greatest relative difference: {value} at index {index} (up to {tol} allowed)",
                     "ja": "最大の相対誤差: {value} (位置 {index}、許容 {tol})"},
    "non_finite": {"en": "`{what}{index}` is {value} for finite input", "ja": "有限の入力に対して `{what}{index}` が {value} になりました"},
    "modified_input": {"en": "the call modified its input `{arg}` in place (e.g. `x -= ...`, `x.sub_()`); compute on a new tensor instead",
                       "ja": "入力 `{arg}` がその場で書き換えられました (`x -= ...`、`x.sub_()` など)。新しいテンソルで計算してください"},
    "nondeterministic": {"en": "`{call}` returned different results for the same input", "ja": "`{call}` が同じ入力に対して異なる結果を返しました"},
    "hint_transposed": {"en": "hint: your result looks transposed", "ja": "ヒント: 結果が転置されているようです"},
    "forbidden_call": {"en": "`{name}` is not allowed in a hand-written `{function}` ({at}{via})",
                       "ja": "手書きで実装する `{function}` では `{name}` は使えません ({at}{via})"},
    "forbidden_via": {"en": ", in `{helper}` called from it", "ja": "、そこから呼ばれる `{helper}` の中"},
    "forbidden_runtime": {"en": "`{name}` was called while `{function}` ran; a hand-written `{function}` must compute the result itself",
                          "ja": "`{function}` の実行中に `{name}` が呼ばれました。手書きの `{function}` は自分で計算しなければなりません"},
    "source_unreadable": {"en": "the source of `{function}` could not be analysed: {error}", "ja": "`{function}` のソースを解析できませんでした: {error}"},
    "gh_heading": {"en": 'nlp100-checker: {submission}', "ja": 'nlp100-checker: {submission}'},
    "gh_exercise": {"en": 'Exercise', "ja": '問題'},
    "gh_item": {"en": 'Item', "ja": '項目'},
    "gh_status": {"en": 'Status', "ja": '状態'},
    "gh_points": {"en": 'Points', "ja": '得点'},
    "gh_details": {"en": 'Details', "ja": '詳細'},
    "gs_checker": {"en": 'nlp100-checker {version}: {submission} (sha256 {sha})', "ja": 'nlp100-checker {version}: {submission} (sha256 {sha})'},
    "gs_status": {"en": 'status', "ja": '状態'},
    "html_title": {"en": 'nlp100-checker report: {submission}', "ja": 'nlp100-checker 採点結果: {submission}'},
    "html_item": {"en": 'item', "ja": '項目'},
    "html_status": {"en": 'status', "ja": '状態'},
    "html_points": {"en": 'points', "ja": '得点'},
    "html_details": {"en": 'details', "ja": '詳細'},
    "html_figure_missing": {"en": 'figure “{name}” could not be embedded ({reason})', "ja": '図「{name}」を埋め込めませんでした ({reason})'},
    "html_reason_missing": {"en": 'file not found', "ja": 'ファイルがありません'},
    "html_reason_not_image": {"en": 'not a PNG/JPEG/GIF/WebP image', "ja": 'PNG/JPEG/GIF/WebP 画像ではありません'},
    "html_reason_too_large": {"en": 'larger than {mb} MB', "ja": '{mb} MB を超えています'},
    "html_reason_unreadable": {"en": 'unreadable: {error}', "ja": '読み込めません: {error}'},
    "html_notes": {"en": 'notes', "ja": '注意'},
    "html_duration": {"en": 'time', "ja": '所要時間'},
    "html_seed": {"en": 'seed', "ja": 'シード'},
    "html_internal": {"en": 'checker bug', "ja": 'チェッカーの不具合'},
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
    # --- submission files (checker/source.py) ---------------------------------
    # errors: the file cannot be graded (the CLI prints one and exits with status 2)
    "submission_missing": {"en": "cannot grade {path}: there is no such file", "ja": "{path} を採点できません: そのファイルはありません"},
    "submission_unreadable": {"en": "cannot grade {path}: the file cannot be read ({error})", "ja": "{path} を採点できません: ファイルを読めません ({error})"},
    "submission_directory": {"en": "cannot grade {path}: it is a folder; give the path of your .py file or .ipynb notebook",
                             "ja": "{path} を採点できません: フォルダです。.py ファイルか .ipynb ノートブックのパスを指定してください"},
    "submission_not_regular": {"en": "cannot grade {path}: it is not a regular file", "ja": "{path} を採点できません: 通常のファイルではありません"},
    "submission_bad_suffix": {"en": "cannot grade {path}: only Python files (.py) and Jupyter notebooks (.ipynb) are graded",
                              "ja": "{path} を採点できません: 採点できるのは Python ファイル (.py) と Jupyter ノートブック (.ipynb) だけです"},
    "submission_bad_suffix_python": {"en": "cannot grade {path}: only Python files (.py) and Jupyter notebooks (.ipynb) are graded. Its content looks like one of them: rename it to {suggestion}",
                                     "ja": "{path} を採点できません: 採点できるのは Python ファイル (.py) と Jupyter ノートブック (.ipynb) だけです。中身はそのどちらかのようなので、ファイル名を {suggestion} に変えてください"},
    "submission_too_large": {"en": "cannot grade {path}: it is {size} bytes, more than the limit of {limit} bytes",
                             "ja": "{path} を採点できません: {size} バイトあり、上限の {limit} バイトを超えています"},
    "submission_notebook_too_large": {"en": "cannot grade {path}: it is {size} bytes, more than the limit of {limit} bytes for a notebook. Clear the outputs (Jupyter: Edit → Clear Outputs of All Cells; VS Code: Clear All Outputs), save it and submit again",
                                      "ja": "{path} を採点できません: {size} バイトあり、ノートブックの上限 {limit} バイトを超えています。出力を消去して (Jupyter:「Edit → Clear Outputs of All Cells」、VS Code:「すべての出力をクリア」) 保存し直してから提出してください"},
    "submission_code_too_large": {"en": "cannot grade {path}: its code cells hold {size} bytes of code, more than the limit of {limit} bytes",
                                  "ja": "{path} を採点できません: コードセルのコードが {size} バイトあり、上限の {limit} バイトを超えています"},
    "submission_empty": {"en": "cannot grade {path}: the file is empty (was it saved?)", "ja": "{path} を採点できません: ファイルが空です (保存しましたか?)"},
    "submission_binary": {"en": "cannot grade {path}: it is not a text file (it holds binary data); submit the .py file or the .ipynb notebook itself",
                          "ja": "{path} を採点できません: テキストファイルではありません (バイナリデータを含んでいます)。.py ファイルか .ipynb ノートブックそのものを提出してください"},
    "submission_html": {"en": "cannot grade {path}: it is a web page (HTML), not your code; if you downloaded it with a browser (e.g. from GitHub), download the raw file instead (the “Raw” button)",
                        "ja": "{path} を採点できません: これは Web ページ (HTML) で、あなたのコードではありません。ブラウザで (GitHub などから) ダウンロードした場合は、生のファイル (「Raw」ボタン) をダウンロードしてください"},
    "submission_not_utf8": {"en": "cannot grade {path}: it is not saved as UTF-8 (line {line} has the first byte that is not UTF-8). Its encoding looks like {encoding} (a guess). Save it as UTF-8 and submit again: in VS Code, click the encoding in the status bar at the bottom right, choose “Save with Encoding”, then “UTF-8”; or convert it in a terminal: iconv -f {iconv} -t UTF-8 {name} > {fixed}",
                            "ja": "{path} を採点できません: UTF-8 で保存されていません ({line} 行目に UTF-8 ではない最初のバイトがあります)。文字コードは {encoding} のようです (推測)。UTF-8 で保存し直してから提出してください: VS Code ではウィンドウ右下のステータスバーの文字コードをクリックし、「エンコード付きで保存」→「UTF-8」を選びます。ターミナルでは iconv -f {iconv} -t UTF-8 {name} > {fixed} で変換できます"},
    "submission_coding_cookie": {"en": "cannot grade {path}: line {line} declares the encoding `{declared}`, but the grader reads UTF-8 only. Save the file as UTF-8 and delete that line (or make it `# -*- coding: utf-8 -*-`)",
                                 "ja": "{path} を採点できません: {line} 行目で文字コード `{declared}` が宣言されていますが、採点では UTF-8 しか読めません。UTF-8 で保存し、その行を削除してください (または `# -*- coding: utf-8 -*-` に書き換えてください)"},
    "submission_py_is_notebook": {"en": "cannot grade {path}: it is a Jupyter notebook (JSON), not Python code; rename it to {suggestion}",
                                  "ja": "{path} を採点できません: 中身は Python のコードではなく Jupyter ノートブック (JSON) です。ファイル名を {suggestion} に変えてください"},
    "submission_notebook_is_python": {"en": "cannot grade {path}: it is Python code, not a Jupyter notebook; rename it to {suggestion}",
                                      "ja": "{path} を採点できません: 中身は Jupyter ノートブックではなく Python のコードです。ファイル名を {suggestion} に変えてください"},
    "submission_notebook_json": {"en": "cannot grade {path}: it is not a valid notebook, the JSON is broken at line {line} ({error}). Was it saved completely? Open it in Jupyter, save it and submit again",
                                 "ja": "{path} を採点できません: 正しいノートブックではありません。{line} 行目で JSON が壊れています ({error})。最後まで保存されましたか? Jupyter で開いて保存し直してから提出してください"},
    "submission_notebook_invalid": {"en": "cannot grade {path}: it is not a Jupyter notebook the grader can read ({detail})",
                                    "ja": "{path} を採点できません: 採点で読める形式の Jupyter ノートブックではありません ({detail})"},
    "submission_notebook_language": {"en": "cannot grade {path}: the notebook's kernel is {language}, not Python",
                                     "ja": "{path} を採点できません: このノートブックのカーネルは Python ではなく {language} です"},
    "submission_notebook_no_code": {"en": "cannot grade {path}: the notebook contains no code (no code cells, or only empty ones)",
                                    "ja": "{path} を採点できません: ノートブックにコードがありません (コードセルがないか、すべて空です)"},
    # notes: what was changed to make the file importable (in SourceFile.notes)
    "submission_magic_dropped": {"en": "{where}: `{code}` is an IPython command, not Python; it is left out of the grading",
                                 "ja": "{where}: `{code}` は Python ではなく IPython のコマンドなので、採点では無視します"},
    "submission_magic_kept": {"en": "{where}: in `{code}` the timing magic is removed and the statement runs as plain Python",
                              "ja": "{where}: `{code}` の時間計測マジックを取り除き、文は普通の Python として実行します"},
    "submission_magic_replaced": {"en": "{where}: `{code}` is IPython syntax, not Python; the grader runs `{replacement}` instead",
                                  "ja": "{where}: `{code}` は Python ではなく IPython の構文なので、代わりに `{replacement}` を実行します"},
    "submission_cell_magic_kept": {"en": "cell {cell}: `{magic}` is removed and the cell's code runs as plain Python",
                                   "ja": "セル {cell}: `{magic}` を取り除き、セルのコードは普通の Python として実行します"},
    "submission_cell_magic_dropped": {"en": "cell {cell}: a `{magic}` cell is not Python code; the whole cell is left out of the grading",
                                      "ja": "セル {cell}: `{magic}` のセルは Python のコードではないので、セル全体を採点では無視します"},
    "submission_ipython_call_dropped": {"en": "{where}: `{code}` works only in IPython (Jupyter); it is left out of the grading",
                                        "ja": "{where}: `{code}` は IPython (Jupyter) でしか動かないので、採点では無視します"},
    "submission_duplicate_definition": {"en": "`{name}` is defined {count} times (first at {first}, last at {last}); Python keeps only the last definition, and that one is graded",
                                        "ja": "`{name}` が {count} 回定義されています (最初の定義: {first}、最後の定義: {last})。Python では最後の定義だけが残るので、そちらを採点します"},
    "submission_notebook_import_hint": {"en": "in a notebook, every code cell runs when the checker imports it: put the cells that load data, train or plot under `if __name__ == \"__main__\":` (true in Jupyter, false in the checker)",
                                        "ja": "ノートブックでは、チェッカーが読み込むときにすべてのコードセルが実行されます。データの読み込み・学習・描画を行うセルは `if __name__ == \"__main__\":` の下に書いてください (Jupyter では真、チェッカーでは偽になります)"},
    # locations, used inside the messages above
    "submission_at_line": {"en": "line {line}", "ja": "{line} 行目"},
    "submission_at_cell": {"en": "cell {cell}, line {line}", "ja": "セル {cell} の {line} 行目"},
    # --- end of submission files ----------------------------------------------
    # --- sandbox isolation (checker.sandbox.local, check doctor) ----------------
    "sandbox_bwrap_unusable": {"en": "--isolation bwrap: bubblewrap cannot be used on this machine ({reason}); `check doctor` says why and what to do, or grade with --isolation auto",
                               "ja": "--isolation bwrap: このマシンでは bubblewrap を使えません ({reason})。理由と対処は `check doctor` で確認できます。--isolation auto で採点することもできます"},
    "sandbox_survivors": {"en": "processes of the sandboxed worker were still running {seconds} s after it was killed (pids {pids}); no result is written",
                          "ja": "サンドボックスのプロセスが強制終了から {seconds} 秒たっても残っています (pid {pids})。結果は書き込みません"},
    # --- end of sandbox isolation ----------------------------------------------
}



@dataclass(frozen=True)
class Msg:
    """A message from the table, not yet rendered: ``Msg(key, params)``; a param may itself be a ``Msg``."""

    key: str
    params: dict = field(default_factory=dict)


class Catalog:
    """Message tables merged into one; a key defined twice is an error naming both sources."""

    def __init__(self, *tables: Mapping[str, Mapping[str, str]], names: tuple[str, ...] = ()):
        merged: dict[str, Mapping[str, str]] = {}
        origin: dict[str, str] = {}
        for i, table in enumerate(tables):
            src = names[i] if i < len(names) else f"table {i}"
            for k, v in table.items():
                if k in merged and merged[k] != v:
                    raise ValueError(f"message key {k!r} is defined by {origin[k]} and by {src}")
                merged[k] = v
                origin[k] = src
        self.table = merged

    def __contains__(self, key: str) -> bool:
        return key in self.table

    def render(self, key: str, lang: str = "en", /, **params) -> str:
        """Format message ``key`` in ``lang``; unknown languages fall back to English."""
        entry = self.table[key]
        text = entry.get(lang) or entry["en"]
        return text.format(**params)

    def render_msg(self, m: "Msg | str", lang: str) -> str:
        if isinstance(m, str):
            return m
        params = {k: self.render_msg(v, lang) if isinstance(v, Msg) else v for k, v in m.params.items()}
        return self.render(m.key, lang, **params)


ENGINE = Catalog(MESSAGES, names=("checker.messages",))


def render(key: str, lang: str = "en", /, **params) -> str:
    """Render one of the engine's own messages (report labels, notes, CLI errors)."""
    return ENGINE.render(key, lang, **params)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}
