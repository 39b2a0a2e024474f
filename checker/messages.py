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
    "not_implemented": {
        "en": "`{function}` is not defined in your file",
        "ja": "ファイルに `{function}` が定義されていません",
    },
    "not_implemented_stub": {
        "en": "`{function}` is still the template's stub: write its body",
        "ja": "`{function}` はテンプレートのままです: 中身を書いてください",
    },
    "not_implemented_raised": {
        "en": "`{call}` raised NotImplementedError: it is not written yet",
        "ja": "`{call}` が NotImplementedError を送出しました: まだ書かれていません",
    },
    "notebook_cell_failed": {
        "en": "notebook cell {cell} raised {type} ({message}); the other cells ran, and the functions it defines may be missing",
        "ja": "ノートブックのセル {cell} で {type} が送出されました ({message})。ほかのセルは実行しました。このセルで定義する関数は欠けているかもしれません",
    },
    "notebook_cell_slow": {
        "en": "notebook cell {cell} ran longer than {s} s and was stopped (loading your data or training at the top level is not needed for grading)",
        "ja": "ノートブックのセル {cell} が {s} 秒を超えたので止めました (トップレベルでのデータ読み込みや学習は採点に必要ありません)",
    },
    "hidden_item": {"en": "hidden", "ja": "非公開"},
    "not_implemented_many": {
        "en": "your file does not define {functions}",
        "ja": "ファイルに {functions} が定義されていません",
    },
    "internal_error": {
        "en": "internal error: this is a bug in the checker, not in your code ({error}). Please report it with this output.",
        "ja": "内部エラー: これはチェッカーの不具合で、あなたのコードの問題ではありません ({error})。この出力を添えて報告してください。",
    },
    "import_failed": {
        "en": "your file could not be imported: {error}",
        "ja": "ファイルを読み込めませんでした: {error}",
    },
    "import_exit": {
        "en": "your file exits while it is being imported (sys.exit / exit status {code}); nothing at module level may end the program",
        "ja": "ファイルの読み込み中にプログラムが終了しました (sys.exit / 終了ステータス {code})。モジュールのトップレベルでプログラムを終了させてはいけません",
    },
    "import_timeout": {
        "en": "importing your file took longer than {limit} s (an endless loop at module level?)",
        "ja": "ファイルの読み込みが {limit} 秒以内に終わりませんでした (トップレベルの無限ループ?)",
    },
    "import_crashed": {
        "en": "the process died while importing your file ({detail})",
        "ja": "ファイルの読み込み中にプロセスが終了しました ({detail})",
    },
    "syntax_error": {"en": "syntax error at {at}: {error}", "ja": "{at}に構文エラーがあります: {error}"},
    "module_not_available": {
        "en": "module `{module}` is not available in the grader (only the standard library, torch, numpy and matplotlib are)",
        "ja": "モジュール `{module}` は採点環境にありません (使えるのは標準ライブラリ、torch、numpy、matplotlib だけです)",
    },
    "file_too_large": {
        "en": "the submission is larger than {limit} bytes",
        "ja": "提出ファイルが {limit} バイトを超えています",
    },
    "raised": {"en": "`{call}` raised {type}: {message}", "ja": "`{call}` が例外 {type} を送出しました: {message}"},
    "raised_at": {"en": "at {at} in {function}: {code}", "ja": "{function} の {at}: {code}"},
    "called_exit": {
        "en": "`{call}` tried to end the program (SystemExit {code}); a function must return its result",
        "ja": "`{call}` がプログラムを終了しようとしました (SystemExit {code})。関数は結果を return してください",
    },
    "call_timeout": {
        "en": "`{call}` did not return within {limit} s (an endless loop, or far too slow)",
        "ja": "`{call}` が {limit} 秒以内に終わりませんでした (無限ループ、または遅すぎます)",
    },
    "call_crashed": {
        "en": "the process running your code died during `{call}` ({detail}): e.g. os._exit, a crash, or the memory limit of {memory_mb} MB",
        "ja": "`{call}` の実行中にプロセスが終了しました ({detail})。os._exit、クラッシュ、またはメモリ上限 {memory_mb} MB の超過などが考えられます",
    },
    "memory_error": {
        "en": "`{call}` ran out of memory (limit {memory_mb} MB)",
        "ja": "`{call}` がメモリ不足になりました (上限 {memory_mb} MB)",
    },
    "protocol": {
        "en": "the answer from your code's process could not be read ({detail}); do not write to the checker's pipes",
        "ja": "あなたのコードのプロセスからの応答を読めませんでした ({detail})。チェッカーのパイプに書き込まないでください",
    },
    "total_timeout": {
        "en": "the submission used up its total time of {limit} s",
        "ja": "提出物全体の制限時間 {limit} 秒を使い切りました",
    },
    "exit_status": {"en": "exit status {code}", "ja": "終了ステータス {code}"},
    "killed_signal": {"en": "killed by signal {signal}", "ja": "シグナル {signal} で強制終了"},
    "bad_type": {
        "en": "`{what}` is {got}, but should be {expected}",
        "ja": "`{what}` が {got} ですが、{expected} であるべきです",
    },
    "bad_len": {
        "en": "`{what}` has {got} elements, but should have {expected}",
        "ja": "`{what}` の要素数が {got} ですが、{expected} であるべきです",
    },
    "bad_shape": {
        "en": "`{what}` has shape {got}, but should have shape {expected}",
        "ja": "`{what}` の形状が {got} ですが、{expected} であるべきです",
    },
    "bad_dtype": {
        "en": "`{what}` has dtype {got}, but should have dtype {expected} (the input's dtype)",
        "ja": "`{what}` の dtype が {got} ですが、{expected} (入力の dtype) であるべきです",
    },
    "tensor_subclass": {
        "en": "a subclass of torch.Tensor ({type}): return a plain torch.Tensor",
        "ja": "torch.Tensor のサブクラス ({type})。普通の torch.Tensor を返してください",
    },
    "opaque": {"en": "an object of type {type}", "ja": "{type} 型のオブジェクト"},
    "a_tensor": {"en": "a torch.Tensor", "ja": "torch.Tensor"},
    "a_tuple": {"en": "a tuple of {n}", "ja": "要素数 {n} のタプル"},
    "a_float": {"en": "a Python float", "ja": "Python の float"},
    "a_list": {"en": "a list", "ja": "リスト"},
    "a_dict": {"en": "a dict", "ja": "辞書 (dict)"},
    "a_value": {"en": "a value of type {type}", "ja": "{type} 型の値"},
    "mismatch_entry": {
        "en": "`{what}{index}` = {got}, but should be roughly {expected}",
        "ja": "`{what}{index}` = {got} ですが、およそ {expected} であるべきです",
    },
    "mismatch_count": {
        "en": "Mismatched elements: {count} / {total} ({share})",
        "ja": "一致しない要素: {count} / {total} ({share})",
    },
    "mismatch_abs": {
        "en": "Greatest absolute difference: {value} at index {index} (up to {tol} allowed)",
        "ja": "最大の絶対誤差: {value} (位置 {index}、許容 {tol})",
    },
    "mismatch_rel": {
        "en": "Greatest relative difference: {value} at index {index} (up to {tol} allowed)",
        "ja": "最大の相対誤差: {value} (位置 {index}、許容 {tol})",
    },
    "non_finite": {
        "en": "`{what}{index}` is {value} for finite input",
        "ja": "有限の入力に対して `{what}{index}` が {value} になりました",
    },
    "modified_input": {
        "en": "the call modified its input `{arg}` in place (e.g. `x -= ...`, `x.sub_()`); compute on a new tensor instead",
        "ja": "入力 `{arg}` がその場で書き換えられました (`x -= ...`、`x.sub_()` など)。新しいテンソルで計算してください",
    },
    "nondeterministic": {
        "en": "`{call}` returned different results for the same input",
        "ja": "`{call}` が同じ入力に対して異なる結果を返しました",
    },
    "hint_transposed": {"en": "hint: your result looks transposed", "ja": "ヒント: 結果が転置されているようです"},
    "forbidden_call": {
        "en": "`{name}` is not allowed in a hand-written `{function}` ({at}{via})",
        "ja": "手書きで実装する `{function}` では `{name}` は使えません ({at}{via})",
    },
    "forbidden_via": {"en": ", in `{helper}` called from it", "ja": "、そこから呼ばれる `{helper}` の中"},
    "tampering": {
        "en": "your file reaches into the checker's own process ({name} at {at}); that is not allowed, and the checker does not believe what such a process says about itself",
        "ja": "ファイルがチェッカー自身のプロセスに手を入れています ({at} の {name})。これは許されません。そのようなプロセスの自己申告をチェッカーは信用しません",
    },
    "tampering_more": {"en": "also {name} at {at}", "ja": "ほかにも {at} に {name}"},
    "forbidden_runtime": {
        "en": "`{name}` was called while `{function}` ran; a hand-written `{function}` must compute the result itself",
        "ja": "`{function}` の実行中に `{name}` が呼ばれました。手書きの `{function}` は自分で計算しなければなりません",
    },
    "source_unreadable": {
        "en": "the source of `{function}` could not be analysed: {error}",
        "ja": "`{function}` のソースを解析できませんでした: {error}",
    },
    "gh_heading": {"en": "nlp100-checker: {submission}", "ja": "nlp100-checker: {submission}"},
    "gh_exercise": {"en": "Exercise", "ja": "問題"},
    "gh_item": {"en": "Item", "ja": "項目"},
    "gh_status": {"en": "Status", "ja": "状態"},
    "gh_points": {"en": "Points", "ja": "得点"},
    "gh_details": {"en": "Details", "ja": "詳細"},
    "gs_checker": {
        "en": "nlp100-checker {version}: {submission} (sha256 {sha})",
        "ja": "nlp100-checker {version}: {submission} (sha256 {sha})",
    },
    "gs_status": {"en": "status", "ja": "状態"},
    "html_title": {"en": "nlp100-checker report: {submission}", "ja": "nlp100-checker 採点結果: {submission}"},
    "html_item": {"en": "item", "ja": "項目"},
    "html_status": {"en": "status", "ja": "状態"},
    "html_points": {"en": "points", "ja": "得点"},
    "html_details": {"en": "details", "ja": "詳細"},
    "html_figure_missing": {
        "en": "figure “{name}” could not be embedded ({reason})",
        "ja": "図「{name}」を埋め込めませんでした ({reason})",
    },
    "html_reason_missing": {"en": "file not found", "ja": "ファイルがありません"},
    "html_reason_not_image": {"en": "not a PNG/JPEG/GIF/WebP image", "ja": "PNG/JPEG/GIF/WebP 画像ではありません"},
    "html_reason_too_large": {"en": "larger than {mb} MB", "ja": "{mb} MB を超えています"},
    "html_reason_unreadable": {"en": "unreadable: {error}", "ja": "読み込めません: {error}"},
    "html_notes": {"en": "notes", "ja": "注意"},
    "html_duration": {"en": "time", "ja": "所要時間"},
    "html_seed": {"en": "seed", "ja": "シード"},
    "html_internal": {"en": "checker bug", "ja": "チェッカーの不具合"},
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
    "output_truncated": {
        "en": "... ({bytes} bytes in all; the rest is cut)",
        "ja": "... (全 {bytes} バイト、残りは省略)",
    },
    "status_passed": {"en": "passed", "ja": "合格"},
    "status_failed": {"en": "failed", "ja": "不合格"},
    "status_error": {"en": "error", "ja": "エラー"},
    "status_timeout": {"en": "timeout", "ja": "時間切れ"},
    "status_skipped": {"en": "skipped", "ja": "スキップ"},
    "status_not_implemented": {"en": "not implemented", "ja": "未実装"},
    "internal_errors_note": {
        "en": "{n} item(s) could not be graded because of a checker bug; the score is incomplete",
        "ja": "チェッカーの不具合のため {n} 項目を採点できませんでした。得点は確定していません",
    },
    # --- the command line (errors exit 2 before anything is graded) -----------------------------
    "cli_kind_error": {"en": "error", "ja": "エラー"},
    "cli_kind_cannot_grade": {"en": "cannot grade", "ja": "採点できません"},
    "cli_kind_invalid_exercise_spec": {"en": "invalid exercise spec", "ja": "問題の仕様 (spec) が不正です"},
    "cli_kind_dataset": {"en": "dataset", "ja": "データセット"},
    "cli_kind_exercise_pack": {"en": "exercise pack", "ja": "問題パック"},
    "cli_usage": {"en": "{prog}: {detail}", "ja": "{prog} の使い方が正しくありません ({detail})"},
    "cli_interrupted": {"en": "interrupted", "ja": "中断しました"},
    "cli_bad_number": {
        "en": "{flag} {value} is out of range: use a whole number from {lo} to {hi}",
        "ja": "{flag} {value} は範囲外です: {lo} から {hi} までの整数を指定してください",
    },
    "cli_output_is_dir": {
        "en": "cannot write the report to {path}: it is a folder; give a file name (e.g. {path}/report.json)",
        "ja": "{path} にレポートを書けません: フォルダーです。ファイル名を指定してください (例: {path}/report.json)",
    },
    "cli_output_no_folder": {
        "en": "cannot write the report to {path}: the folder {folder} does not exist",
        "ja": "{path} にレポートを書けません: フォルダー {folder} がありません",
    },
    "cli_docker_only": {
        "en": "{flag} applies to the docker backend only: add --backend docker",
        "ja": "{flag} は docker バックエンドでのみ使えます: --backend docker を付けてください",
    },
    "cli_no_functions": {
        "en": "the file defines none of the chapter's functions; `check list` shows them, `check show 71` gives a template",
        "ja": "ファイルに第 8 章の関数が 1 つも定義されていません。`check list` で一覧を、`check show 71` でテンプレートを表示できます",
    },
    "cli_hint_docker": {
        "en": "the container could not start; is the Docker engine up and the grader image built (docker/build-image.sh)?",
        "ja": "コンテナを起動できませんでした。Docker エンジンは動いていますか? 採点用イメージはビルドしましたか (docker/build-image.sh)?",
    },
    "cli_hint_sandbox": {
        "en": "the sandbox could not start; `check doctor` tells what this machine offers (bubblewrap, user namespaces)",
        "ja": "サンドボックスを起動できませんでした。このマシンで使える隔離機能 (bubblewrap、ユーザー名前空間) は `check doctor` で確認できます",
    },
    "cli_unknown_data": {
        "en": "unknown dataset {name!r}: use one of {names}, or the path of a dataset file made by `check data build`",
        "ja": "データセット {name!r} はありません: {names} のいずれか、または `check data build` で作ったデータセットファイルのパスを指定してください",
    },
    "cli_unknown_exercise": {
        "en": "unknown exercise(s): {ids}; `check list` shows the exercises",
        "ja": "そのような問題はありません: {ids}。`check list` で問題の一覧を表示できます",
    },
    # --- submission files (checker/source.py) ---------------------------------
    # errors: the file cannot be graded (the CLI prints one and exits with status 2)
    "submission_missing": {
        "en": "cannot grade {path}: there is no such file",
        "ja": "{path} を採点できません: そのファイルはありません",
    },
    "submission_unreadable": {
        "en": "cannot grade {path}: the file cannot be read ({error})",
        "ja": "{path} を採点できません: ファイルを読めません ({error})",
    },
    "submission_directory": {
        "en": "cannot grade {path}: it is a folder; give the path of your .py file or .ipynb notebook",
        "ja": "{path} を採点できません: フォルダです。.py ファイルか .ipynb ノートブックのパスを指定してください",
    },
    "submission_not_regular": {
        "en": "cannot grade {path}: it is not a regular file",
        "ja": "{path} を採点できません: 通常のファイルではありません",
    },
    "submission_bad_suffix": {
        "en": "cannot grade {path}: only Python files (.py) and Jupyter notebooks (.ipynb) are graded",
        "ja": "{path} を採点できません: 採点できるのは Python ファイル (.py) と Jupyter ノートブック (.ipynb) だけです",
    },
    "submission_bad_suffix_python": {
        "en": "cannot grade {path}: only Python files (.py) and Jupyter notebooks (.ipynb) are graded. Its content looks like one of them: rename it to {suggestion}",
        "ja": "{path} を採点できません: 採点できるのは Python ファイル (.py) と Jupyter ノートブック (.ipynb) だけです。中身はそのどちらかのようなので、ファイル名を {suggestion} に変えてください",
    },
    "submission_too_large": {
        "en": "cannot grade {path}: it is {size} bytes, more than the limit of {limit} bytes",
        "ja": "{path} を採点できません: {size} バイトあり、上限の {limit} バイトを超えています",
    },
    "submission_notebook_too_large": {
        "en": "cannot grade {path}: it is {size} bytes, more than the limit of {limit} bytes for a notebook. Clear the outputs (Jupyter: Edit → Clear Outputs of All Cells; VS Code: Clear All Outputs), save it and submit again",
        "ja": "{path} を採点できません: {size} バイトあり、ノートブックの上限 {limit} バイトを超えています。出力を消去して (Jupyter:「Edit → Clear Outputs of All Cells」、VS Code:「すべての出力をクリア」) 保存し直してから提出してください",
    },
    "submission_code_too_large": {
        "en": "cannot grade {path}: its code cells hold {size} bytes of code, more than the limit of {limit} bytes",
        "ja": "{path} を採点できません: コードセルのコードが {size} バイトあり、上限の {limit} バイトを超えています",
    },
    "submission_empty": {
        "en": "cannot grade {path}: the file is empty (was it saved?)",
        "ja": "{path} を採点できません: ファイルが空です (保存しましたか?)",
    },
    "submission_binary": {
        "en": "cannot grade {path}: it is not a text file (it holds binary data); submit the .py file or the .ipynb notebook itself",
        "ja": "{path} を採点できません: テキストファイルではありません (バイナリデータを含んでいます)。.py ファイルか .ipynb ノートブックそのものを提出してください",
    },
    "submission_html": {
        "en": "cannot grade {path}: it is a web page (HTML), not your code; if you downloaded it with a browser (e.g. from GitHub), download the raw file instead (the “Raw” button)",
        "ja": "{path} を採点できません: これは Web ページ (HTML) で、あなたのコードではありません。ブラウザで (GitHub などから) ダウンロードした場合は、生のファイル (「Raw」ボタン) をダウンロードしてください",
    },
    "submission_not_utf8": {
        "en": "cannot grade {path}: it is not saved as UTF-8 (line {line} has the first byte that is not UTF-8). Its encoding looks like {encoding} (a guess). Save it as UTF-8 and submit again: in VS Code, click the encoding in the status bar at the bottom right, choose “Save with Encoding”, then “UTF-8”; or convert it in a terminal: iconv -f {iconv} -t UTF-8 {name} > {fixed}",
        "ja": "{path} を採点できません: UTF-8 で保存されていません ({line} 行目に UTF-8 ではない最初のバイトがあります)。文字コードは {encoding} のようです (推測)。UTF-8 で保存し直してから提出してください: VS Code ではウィンドウ右下のステータスバーの文字コードをクリックし、「エンコード付きで保存」→「UTF-8」を選びます。ターミナルでは iconv -f {iconv} -t UTF-8 {name} > {fixed} で変換できます",
    },
    "submission_coding_cookie": {
        "en": "cannot grade {path}: line {line} declares the encoding `{declared}`, but the grader reads UTF-8 only. Save the file as UTF-8 and delete that line (or make it `# -*- coding: utf-8 -*-`)",
        "ja": "{path} を採点できません: {line} 行目で文字コード `{declared}` が宣言されていますが、採点では UTF-8 しか読めません。UTF-8 で保存し、その行を削除してください (または `# -*- coding: utf-8 -*-` に書き換えてください)",
    },
    "submission_py_is_notebook": {
        "en": "cannot grade {path}: it is a Jupyter notebook (JSON), not Python code; rename it to {suggestion}",
        "ja": "{path} を採点できません: 中身は Python のコードではなく Jupyter ノートブック (JSON) です。ファイル名を {suggestion} に変えてください",
    },
    "submission_notebook_is_python": {
        "en": "cannot grade {path}: it is Python code, not a Jupyter notebook; rename it to {suggestion}",
        "ja": "{path} を採点できません: 中身は Jupyter ノートブックではなく Python のコードです。ファイル名を {suggestion} に変えてください",
    },
    "submission_notebook_json": {
        "en": "cannot grade {path}: it is not a valid notebook, the JSON is broken at line {line} ({error}). Was it saved completely? Open it in Jupyter, save it and submit again",
        "ja": "{path} を採点できません: 正しいノートブックではありません。{line} 行目で JSON が壊れています ({error})。最後まで保存されましたか? Jupyter で開いて保存し直してから提出してください",
    },
    "submission_notebook_invalid": {
        "en": "cannot grade {path}: it is not a Jupyter notebook the grader can read ({detail})",
        "ja": "{path} を採点できません: 採点で読める形式の Jupyter ノートブックではありません ({detail})",
    },
    "submission_notebook_language": {
        "en": "cannot grade {path}: the notebook's kernel is {language}, not Python",
        "ja": "{path} を採点できません: このノートブックのカーネルは Python ではなく {language} です",
    },
    "submission_notebook_no_code": {
        "en": "cannot grade {path}: the notebook contains no code (no code cells, or only empty ones)",
        "ja": "{path} を採点できません: ノートブックにコードがありません (コードセルがないか、すべて空です)",
    },
    # notes: what was changed to make the file importable (in SourceFile.notes)
    "submission_magic_dropped": {
        "en": "{where}: `{code}` is an IPython command, not Python; it is left out of the grading",
        "ja": "{where}: `{code}` は Python ではなく IPython のコマンドなので、採点では無視します",
    },
    "submission_magic_kept": {
        "en": "{where}: in `{code}` the timing magic is removed and the statement runs as plain Python",
        "ja": "{where}: `{code}` の時間計測マジックを取り除き、文は普通の Python として実行します",
    },
    "submission_magic_replaced": {
        "en": "{where}: `{code}` is IPython syntax, not Python; the grader runs `{replacement}` instead",
        "ja": "{where}: `{code}` は Python ではなく IPython の構文なので、代わりに `{replacement}` を実行します",
    },
    "submission_cell_magic_kept": {
        "en": "cell {cell}: `{magic}` is removed and the cell's code runs as plain Python",
        "ja": "セル {cell}: `{magic}` を取り除き、セルのコードは普通の Python として実行します",
    },
    "submission_cell_magic_dropped": {
        "en": "cell {cell}: a `{magic}` cell is not Python code; the whole cell is left out of the grading",
        "ja": "セル {cell}: `{magic}` のセルは Python のコードではないので、セル全体を採点では無視します",
    },
    "submission_ipython_call_dropped": {
        "en": "{where}: `{code}` works only in IPython (Jupyter); it is left out of the grading",
        "ja": "{where}: `{code}` は IPython (Jupyter) でしか動かないので、採点では無視します",
    },
    "submission_duplicate_definition": {
        "en": "`{name}` is defined {count} times (first at {first}, last at {last}); Python keeps only the last definition, and that one is graded",
        "ja": "`{name}` が {count} 回定義されています (最初の定義: {first}、最後の定義: {last})。Python では最後の定義だけが残るので、そちらを採点します",
    },
    "submission_notebook_import_hint": {
        "en": 'in a notebook, every code cell runs when the checker imports it: put the cells that load data, train or plot under `if __name__ == "__main__":` (true in Jupyter, false in the checker)',
        "ja": 'ノートブックでは、チェッカーが読み込むときにすべてのコードセルが実行されます。データの読み込み・学習・描画を行うセルは `if __name__ == "__main__":` の下に書いてください (Jupyter では真、チェッカーでは偽になります)',
    },
    # locations, used inside the messages above
    "submission_at_line": {"en": "line {line}", "ja": "{line} 行目"},
    "submission_at_cell": {"en": "cell {cell}, line {line}", "ja": "セル {cell} の {line} 行目"},
    # --- end of submission files ----------------------------------------------
    # --- saved results: Report.from_dict and `check render` (checker/commands/render.py) ---
    # errors: the file given to `check render` cannot be used (the CLI prints one and exits with status 2)
    "render_missing": {
        "en": "cannot render {path}: there is no such file; write one with `check submit FILE --format json -o {path}`",
        "ja": "{path} を表示できません: そのファイルはありません。`check submit FILE --format json -o {path}` で作成してください",
    },
    "render_not_file": {
        "en": "cannot render {path}: it is not a regular file",
        "ja": "{path} を表示できません: 通常のファイルではありません",
    },
    "render_unreadable": {
        "en": "cannot render {path}: the file cannot be read ({error})",
        "ja": "{path} を表示できません: ファイルを読めません ({error})",
    },
    "render_too_large": {
        "en": "cannot render {path}: it is {size} bytes, more than the limit of {limit} bytes for a result file",
        "ja": "{path} を表示できません: {size} バイトあり、採点結果ファイルの上限 {limit} バイトを超えています",
    },
    "render_not_json": {
        "en": "cannot render {path}: it is not a JSON result of `check submit --format json` ({error})",
        "ja": "{path} を表示できません: `check submit --format json` の JSON 形式の採点結果ではありません ({error})",
    },
    "render_invalid": {
        "en": "cannot render {path}: it is not a valid result of `check submit --format json`: {problem}",
        "ja": "{path} を表示できません: `check submit --format json` の正しい採点結果ではありません: {problem}",
    },
    "render_cannot_write": {"en": "cannot write {path}: {error}", "ja": "{path} に書き込めません: {error}"},
    # what is wrong inside a result (the {problem} above; field names are JSON paths, types are JSON types)
    "result_not_object": {
        "en": "the file holds a JSON {got}, but a result is a JSON object",
        "ja": "ファイルの中身が JSON の {got} です。採点結果は JSON オブジェクトです",
    },
    "result_missing_field": {"en": "the field `{field}` is missing", "ja": "フィールド `{field}` がありません"},
    "result_wrong_type": {
        "en": "`{field}` is {got}, but should be of type {expected}",
        "ja": "`{field}` が {got} ですが、{expected} 型であるべきです",
    },
    "result_bad_value": {
        "en": "`{field}` is {got}, but should be one of {choices}",
        "ja": "`{field}` が {got} ですが、{choices} のいずれかであるべきです",
    },
    "result_not_finite": {
        "en": "`{field}` is {got}, but should be a finite number",
        "ja": "`{field}` が {got} ですが、有限の数であるべきです",
    },
    "result_schema": {
        "en": "`schema` is {got}, but this checker reads schema {supported} (was the file written by another version of nlp100-checker?)",
        "ja": "`schema` が {got} ですが、このチェッカーが読めるのは schema {supported} です (別のバージョンの nlp100-checker で作られたファイルですか?)",
    },
    "json_at": {"en": "line {line}, column {column}: {error}", "ja": "{line} 行 {column} 列: {error}"},
    # --- end of saved results -----------------------------------------------------
    # --- grade-batch (checker/commands/batch.py, checker/batch/): the gradebook's error column, CLI errors
    "batch_link": {
        "en": "cannot grade {path}: it is a symbolic link; only regular files and folders inside your submission are graded (links are not followed): submit the file itself",
        "ja": "{path} を採点できません: シンボリックリンクです。採点するのは提出物の中の通常のファイルとフォルダだけです (リンクはたどりません)。ファイルそのものを提出してください",
    },
    "batch_hard_link": {
        "en": "cannot grade {path}: the file has {links} hard links; only a file with a single link is graded: submit a copy of it",
        "ja": "{path} を採点できません: このファイルにはハードリンクが {links} 個あります。採点するのはリンクが 1 つだけのファイルです。コピーを提出してください",
    },
    "batch_no_functions": {
        "en": "{path} defines none of the chapter's functions; `check list` shows them, `check show 71` gives a template",
        "ja": "{path} には、この章の関数が 1 つも定義されていません。`check list` で一覧を、`check show 71` でテンプレートを確認できます",
    },
    "batch_checker_fault": {
        "en": "the checker could not grade this submission ({detail}); this is not a fault of the submission, and it will be graded again",
        "ja": "チェッカーがこの提出物を採点できませんでした ({detail})。提出物の問題ではありません。もう一度採点されます",
    },
    "batch_not_graded": {
        "en": "not graded yet: run the same command again to continue",
        "ja": "まだ採点されていません。同じコマンドをもう一度実行すると続きを採点します",
    },
    "batch_secret_required": {
        "en": "grade-batch needs a data secret for grades that count (the public data lets a submission rebuild the test labels): make one with `head -c 32 /dev/urandom > data-secret` and give it with --data-secret FILE, NLP100_DATA_SECRET=FILE or as data-secret in the hidden folder (NLP100_HIDDEN); or grade on the public data with --public-data (practice grades only)",
        "ja": "grade-batch で正式な成績を付けるにはデータの秘密鍵が必要です (公開データではテストのラベルを再現できてしまいます)。`head -c 32 /dev/urandom > data-secret` で作り、--data-secret FILE、NLP100_DATA_SECRET=FILE、または非公開フォルダ (NLP100_HIDDEN) の data-secret として渡してください。公開データで採点する (練習用の成績) には --public-data を付けてください",
    },
    # --- end of grade-batch ---------------------------------------------------
    # --- report labels, the engine's notes and `check show` (content: issue 8) --------------
    # labels every renderer uses (checker/report/*.py)
    "note": {"en": "note", "ja": "注意"},
    "stream_stdout": {"en": "stdout", "ja": "標準出力"},
    "stream_stderr": {"en": "stderr", "ja": "標準エラー出力"},
    "counterexample_case": {"en": "case", "ja": "ケース"},
    "gh_checker": {"en": "checker {version}, sha256 {sha}", "ja": "チェッカー {version}、sha256 {sha}"},
    # notes the engine adds to a report (checker/grading/engine.py)
    "note_isolation_no_bwrap": {
        "en": "isolation is reduced: bubblewrap was not found on this machine, so your code ran with resource limits only (no separate file system or network namespace)",
        "ja": "隔離が弱くなっています: このマシンに bubblewrap がないため、あなたのコードはリソース制限だけをかけて実行されました (ファイルシステムやネットワークは分離されていません)",
    },
    "note_isolation_by_request": {
        "en": "isolation is reduced on request (--isolation rlimits): your code ran with resource limits only",
        "ja": "指定により隔離を弱めています (--isolation rlimits): あなたのコードはリソース制限だけをかけて実行されました",
    },
    "note_isolation_reduced": {
        "en": "isolation is reduced: {description}",
        "ja": "隔離が弱くなっています: {description}",
    },
    "note_public_checks_only": {
        "en": "public checks only: there are no hidden checks on this machine, and the instructor's grade may include more",
        "ja": "公開されたチェックだけで採点しました: このマシンには非公開のチェックがありません。教員の採点ではさらに項目が加わることがあります",
    },
    "isolation_nothing_run": {"en": "none (nothing was run)", "ja": "なし (何も実行していません)"},
    # `check show` (checker/commands/show.py)
    "show_template_heading": {"en": "Template", "ja": "テンプレート"},
    "show_numbers_heading": {"en": "Numbers the checker uses", "ja": "採点で使う数値"},
    "show_numbers_source": {
        "en": "From `exercises/{id}/spec.toml` of this checker. The statement refers to these numbers by name; they may change from one version of the checker to the next.",
        "ja": "このチェッカーの `exercises/{id}/spec.toml` の値です。問題文はこれらの数値を名前で参照しています。数値はチェッカーのバージョンによって変わることがあります。",
    },
    "show_item": {"en": "item `{name}`: {points} point(s)", "ja": "項目 `{name}`: 配点 {points}"},
    "show_accuracy": {"en": "accuracy (the spec's `accuracy` table)", "ja": "正解率 (spec の `accuracy` 表)"},
    "show_limits": {"en": "limits of this exercise", "ja": "この問題の制限"},
    "show_tolerances": {
        "en": "tolerances of the comparison with the reference (checker/numerics/tolerances.py)",
        "ja": "参照解との比較の許容誤差 (checker/numerics/tolerances.py)",
    },
    "show_tolerance_rule": {
        "en": "a value passes when |got - expected| <= atol + rtol * |expected|, where atol grows with the inputs: atol = base_atol + eps_factor * eps(dtype) * (the inputs' magnitude)",
        "ja": "|返り値 - 期待値| <= atol + rtol * |期待値| なら合格です。atol は入力の大きさとともに増えます: atol = base_atol + eps_factor * eps(dtype) * (入力の大きさ)",
    },
    "show_tolerance_dtype": {
        "en": "{dtype}: rtol = {rtol}, base_atol = {atol}, eps_factor = {eps_factor} (eps = {eps})",
        "ja": "{dtype}: rtol = {rtol}、base_atol = {atol}、eps_factor = {eps_factor} (eps = {eps})",
    },
    "show_tolerance_gradient": {
        "en": "gradient checks (central differences in float64): the slopes along random directions agree within rtol = {rtol}, atol = {atol}",
        "ja": "勾配の確認 (float64 の中心差分): ランダムな方向への傾きが rtol = {rtol}、atol = {atol} の範囲で一致すること",
    },
    "show_max_examples": {
        "en": "generated inputs per item: {n} besides the fixed ones (`check submit --max-examples N` changes it)",
        "ja": "項目ごとに生成する入力: 固定の入力のほかに {n} 個 (`check submit --max-examples N` で変えられます)",
    },
    "show_item_budget_s": {
        "en": "seconds spent on generated inputs for this item at most",
        "ja": "この項目で生成した入力の確認に使う時間の上限 (秒)",
    },
    "show_skipped_counts": {
        "en": "whether the item still counts toward the maximum score when it is skipped (true: it does, with 0 points)",
        "ja": "スキップされたとき、この項目を満点の計算に含めるかどうか (true なら含め、0 点とします)",
    },
    "show_no_explanation": {"en": "(no explanation in the message table)", "ja": "(メッセージ表に説明がありません)"},
    "show_chapter_title": {
        "en": "NLP-100 chapter 8 (exercises 70-79)",
        "ja": "言語処理100本ノック 第8章 (問題 70〜79)",
    },
    "show_chapter_docstring": {
        "en": "NLP-100 chapter 8, exercises 70-79: every function of the chapter in one file.\n\nEach exercise's new code is under its `# --- NN` banner. Replace each\n`raise NotImplementedError` with your code and grade with\n`check submit FILE` (`--exercise NN` grades one exercise; an exercise whose\nfunctions are still stubs is reported as not implemented). Only the\nstandard library, torch, numpy and matplotlib may be imported.\n`check show NN` prints an exercise's statement and the numbers the checker uses.",
        "ja": "言語処理100本ノック 第8章 問題 70〜79: この章のすべての関数を 1 つのファイルに。\n\n各問題で新しく書くコードは `# --- NN` の見出しの下にあります。\n`raise NotImplementedError` をあなたのコードに置き換え、`check submit FILE`\nで採点してください (`--exercise NN` で 1 問だけ採点できます。関数がまだ\n書きかけのままの問題は「未実装」と表示されます)。import できるのは\n標準ライブラリ、torch、numpy、matplotlib だけです。\n問題文とチェッカーが使う数値は `check show NN` で表示されます。",
    },
    "show_output_is_dir": {
        "en": "cannot write the template to {path}: it is a folder; give a file name (e.g. {path}/{example})",
        "ja": "{path} にテンプレートを書けません: フォルダーです。ファイル名を指定してください (例: {path}/{example})",
    },
    "show_output_no_folder": {
        "en": "cannot write the template to {path}: the folder {folder} does not exist",
        "ja": "{path} にテンプレートを書けません: フォルダー {folder} がありません",
    },
    "show_cannot_write": {"en": "cannot write {path}: {error}", "ja": "{path} に書き込めません: {error}"},
    # the limits of an exercise (spec.toml [limits]), explained by `check show`
    "limit_cpu_s": {
        "en": "CPU seconds this exercise adds to what your code's process may use (the graded exercises' budgets add up)",
        "ja": "この問題の分としてあなたのコードのプロセスが使える CPU 時間 (秒)。採点する問題の分を合計した時間が使えます",
    },
    "limit_wall_s": {
        "en": "wall-clock seconds this exercise adds to the time the whole submission may take; also the longest one training call may take",
        "ja": "この問題の分として提出物全体に与えられる経過時間 (秒)。学習の呼び出し 1 回にかけられる最長の時間でもあります",
    },
    "limit_memory_mb": {
        "en": "memory (MB) your code's process may use",
        "ja": "あなたのコードのプロセスが使えるメモリ (MB)",
    },
    "limit_call_timeout_s": {
        "en": "seconds one call of your function may take (other than a training call)",
        "ja": "関数の呼び出し 1 回にかけられる時間 (秒、学習の呼び出しを除く)",
    },
    # --- end of report labels, the engine's notes and `check show` ----------------------------
    # --- packaging and Gradescope (checker/commands/gradescope.py, checker/report/gradescope.py) ---
    "gs_hidden_pending": {
        "en": "{n} hidden check(s): their results and points are shown when the grades are published",
        "ja": "非公開のチェック {n} 件: 結果と得点は成績の公開後に表示されます",
    },
    "gsp_wheel_source": {
        "en": "checker wheel: {wheel} (built from the source tree {path})",
        "ja": "チェッカーの wheel: {wheel} (ソースツリー {path} からビルド)",
    },
    "gsp_wheel_installed": {
        "en": "checker wheel: {wheel} (made from the installed package in {path})",
        "ja": "チェッカーの wheel: {wheel} (インストール済みのパッケージ {path} から作成)",
    },
    "gsp_wheel_given": {
        "en": "checker wheel: {wheel} (given with --wheel)",
        "ja": "チェッカーの wheel: {wheel} (--wheel で指定)",
    },
    "gsp_wheel_failed": {
        "en": "could not make the checker's wheel: {error}; build one (`python -m pip wheel --no-deps -w dist .` in the repository) and pass it with --wheel",
        "ja": "チェッカーの wheel を作れませんでした: {error}。リポジトリで `python -m pip wheel --no-deps -w dist .` を実行して wheel を作り、--wheel で指定してください",
    },
    "gsp_wheel_bad": {
        "en": "{path} is not a wheel of nlp100-checker (expected nlp100_checker-VERSION-py3-none-any.whl)",
        "ja": "{path} は nlp100-checker の wheel ではありません (nlp100_checker-VERSION-py3-none-any.whl の形の名前が必要です)",
    },
    "gsp_hidden_not_dir": {
        "en": "the hidden folder {path} does not exist or is not a folder",
        "ja": "非公開フォルダ {path} が存在しないか、フォルダではありません",
    },
    "gsp_hidden": {
        "en": "hidden checks: {path} ({n} exercise folder(s)), in the zip as hidden/",
        "ja": "非公開のチェック: {path} (問題フォルダ {n} 個)。zip の hidden/ に入れました",
    },
    "gsp_secret_twice": {
        "en": "two data secrets: --data-secret {given} and {found}; keep one",
        "ja": "データの秘密鍵が 2 つあります: --data-secret {given} と {found}。どちらか一方にしてください",
    },
    "gsp_secret_and_public": {
        "en": "--public-data grades without a data secret, but a secret was given ({path}); choose one",
        "ja": "--public-data は秘密鍵なしで採点する指定ですが、秘密鍵 ({path}) も指定されています。どちらか一方にしてください",
    },
    "gsp_secret_given": {
        "en": "data secret: {path} (in the zip as hidden/data-secret)",
        "ja": "データの秘密鍵: {path} (zip の hidden/data-secret に入れました)",
    },
    "gsp_secret_generated": {
        "en": "data secret: generated a new one in {path} (in the zip as hidden/data-secret). Keep that file private and keep it: the next `check gradescope-package` reuses it, and `NLP100_DATA_SECRET={path} check grade-batch ...` grades with the same data",
        "ja": "データの秘密鍵: 新しく作成して {path} に保存しました (zip の hidden/data-secret に入れました)。このファイルは公開せず、保管してください。次回の `check gradescope-package` はこれを再利用します。`NLP100_DATA_SECRET={path} check grade-batch ...` で同じデータで採点できます",
    },
    "gsp_secret_reused": {
        "en": "data secret: reused {path} (in the zip as hidden/data-secret)",
        "ja": "データの秘密鍵: {path} を再利用しました (zip の hidden/data-secret に入れました)",
    },
    "gsp_public_data": {
        "en": "no data secret (--public-data): the autograder grades 73–79 on the public data, which a student can rebuild; use this for practice only",
        "ja": "データの秘密鍵なし (--public-data): 73〜79 は公開データで採点されます。学生が再現できるデータなので、練習用にだけ使ってください",
    },
    "gsp_wrote": {"en": "wrote {path} ({kb} kB): {files}", "ja": "{path} を書き出しました ({kb} kB): {files}"},
    "gsp_next": {
        "en": "next: in Gradescope, open the assignment's Configure Autograder page, choose Zip file upload, upload {path}, and wait for the image build to finish (setup.sh installs Python, torch CPU and the checker: several minutes); then submit a test file with `Test Autograder`",
        "ja": "次の手順: Gradescope で課題の「Configure Autograder」を開き、「Zip file upload」で {path} をアップロードして、イメージのビルドが終わるのを待ちます (setup.sh が Python、torch CPU 版、チェッカーを入れるので数分かかります)。その後「Test Autograder」でテスト用のファイルを提出してください",
    },
    # --- end of packaging and Gradescope ---------------------------------------
    # --- sandbox isolation (checker.sandbox.local, check doctor) ----------------
    "sandbox_bwrap_unusable": {
        "en": "--isolation bwrap: bubblewrap cannot be used on this machine ({reason}); `check doctor` says why and what to do, or grade with --isolation auto",
        "ja": "--isolation bwrap: このマシンでは bubblewrap を使えません ({reason})。理由と対処は `check doctor` で確認できます。--isolation auto で採点することもできます",
    },
    "sandbox_survivors": {
        "en": "processes of the sandboxed worker were still running {seconds} s after it was killed (pids {pids}); no result is written",
        "ja": "サンドボックスのプロセスが強制終了から {seconds} 秒たっても残っています (pid {pids})。結果は書き込みません",
    },
    # --- end of sandbox isolation ----------------------------------------------
    # --- check new / check validate (instructors) -------------------------------
    "cli_new_exists": {
        "en": "{path} exists already: `check new` makes a new exercise folder and never changes one; choose another id or folder",
        "ja": "{path} はすでに存在します。`check new` は新しい問題フォルダを作るだけで、既存のフォルダは変更しません。別の id かフォルダを指定してください",
    },
    "cli_new_no_dir": {
        "en": "where should the exercise go? give --dir FOLDER or set NLP100_EXERCISES_DIR to your folder of exercises",
        "ja": "問題をどこに作りますか? --dir FOLDER を指定するか、NLP100_EXERCISES_DIR に問題フォルダを設定してください",
    },
    "cli_new_bad_id": {
        "en": "{id!r} cannot be an exercise id: use letters, digits, `_` and `-` only (e.g. 80)",
        "ja": "{id!r} は問題の id に使えません。英数字、`_`、`-` だけを使ってください (例: 80)",
    },
    "case_three_rows_two_classes": {"en": "three rows, two classes", "ja": "3 行、2 クラス"},
    # --- end of check new / check validate ----------------------------------------
    # --- warm pool (checker.sandbox.pool, poold, pooled; check pool; grade-batch) -----------------
    "pool_started": {
        "en": "warm pool running: pid {pid}, socket {socket}; it started in {seconds} s; its sandbox: {isolation}",
        "ja": "ウォームプールを起動しました: pid {pid}、ソケット {socket}。起動に {seconds} 秒かかりました。サンドボックス: {isolation}",
    },
    "pool_already": {
        "en": "a warm pool already answers at {socket} (pid {pid})",
        "ja": "{socket} ではすでにウォームプールが応答しています (pid {pid})",
    },
    "pool_not_running": {
        "en": "no warm pool answers at {socket}; start one with `check pool start`",
        "ja": "{socket} で応答するウォームプールはありません。`check pool start` で起動できます",
    },
    "pool_stopped": {
        "en": "the warm pool at {socket} stopped (pid {pid})",
        "ja": "{socket} のウォームプールを停止しました (pid {pid})",
    },
    "pool_status": {
        "en": "warm pool at {socket}: pid {pid}, up {uptime} s, {served} submissions served, {live} running now, {slots} at a time; its sandbox: {isolation}",
        "ja": "{socket} のウォームプール: pid {pid}、稼働 {uptime} 秒、{served} 件を処理、現在 {live} 件を実行中、同時に {slots} 件まで。サンドボックス: {isolation}",
    },
    "pool_broken": {
        "en": "the warm pool is broken ({why}): gradings use fresh workers; restart it with `check pool stop` and `check pool start`",
        "ja": "ウォームプールが使えなくなりました ({why})。採点には新しいワーカーを使います。`check pool stop` と `check pool start` で再起動してください",
    },
    "pool_cannot_start": {
        "en": "the warm pool could not start: {why}",
        "ja": "ウォームプールを起動できませんでした: {why}",
    },
    "pool_bad_folder": {
        "en": "the warm pool's folder cannot be used: {why}",
        "ja": "ウォームプールのフォルダーを使えません: {why}",
    },
    "batch_cluster_conflict": {
        "en": "grade-batch: give either --scheduler or --cluster, not both",
        "ja": "grade-batch: --scheduler と --cluster はどちらか一方だけを指定してください",
    },
    "batch_cluster_bad": {
        "en": "grade-batch: --cluster {value} is not local:N (N workers on this machine, 1 to 64)",
        "ja": "grade-batch: --cluster {value} は local:N (このマシン上の N 個のワーカー、1〜64) の形ではありません",
    },
    "batch_dask_missing": {
        "en": "grade-batch: --scheduler and --cluster need Dask: pip install 'nlp100-checker[dask]'",
        "ja": "grade-batch: --scheduler と --cluster には Dask が必要です: pip install 'nlp100-checker[dask]'",
    },
    "batch_scheduler_unreachable": {
        "en": "grade-batch: no Dask scheduler answers at {address} ({error})",
        "ja": "grade-batch: {address} で応答する Dask スケジューラーがありません ({error})",
    },
    # --- end of warm pool --------------------------------------------------------------------------
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
