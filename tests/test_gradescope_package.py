"""`check gradescope-package` (the zip) and run_autograder's decisions, without Docker.

run_autograder is run here against a temporary /autograder tree (NLP100_AUTOGRADER_DIR) with a
stub in place of `check` (NLP100_CHECK) that records how it was called and plays the checker's
part: what the script does with each outcome is what these tests check.  The real thing, as root
in the grader image, is tests/test_gradescope_docker.py.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "checker" / "autograder" / "run_autograder"
SETUP = ROOT / "checker" / "autograder" / "setup.sh"
HIDDEN_71 = (
    '[[items]]\nname = "softmax_hidden"\nfunction = "softmax"\npoints = 2\n'
    'reference = "nlp100_ch08.references:softmax"\ninputs = "softmax"\noutputs = ["p"]\nchecks = ["matches_reference"]\n'
)


def _cli(*args, cwd=None, env=None):
    return subprocess.run(
        [sys.executable, "-m", "checker.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=300,
    )


class _Run:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def _main(capsys, *args) -> _Run:
    """`check ...` in this process (no interpreter start: these run many times)."""
    from checker.cli import main

    capsys.readouterr()
    rc = main([str(a) for a in args])
    out = capsys.readouterr()
    return _Run(rc, out.out, out.err)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The checker's wheel, built once (from the source tree, as `gradescope-package` does)."""
    from checker.commands.gradescope import build_wheel_from_source

    return build_wheel_from_source(ROOT, tmp_path_factory.mktemp("wheel"))


# -- the zip ----------------------------------------------------------------------------------------


def test_package_contents(tmp_path):
    """No --wheel: the wheel is built from this source tree (an editable install)."""
    hidden = tmp_path / "hidden"
    (hidden / "71").mkdir(parents=True)
    (hidden / "71" / "spec.toml").write_text(HIDDEN_71, encoding="utf-8")
    secret = tmp_path / "my-secret"
    secret.write_bytes(b"0123456789abcdef0123456789abcdef\n")
    out = tmp_path / "out" / "ag.zip"
    p = _cli(
        "gradescope-package",
        "-o",
        out,
        "--hidden",
        hidden,
        "--data-secret",
        secret,
        "--lang",
        "ja",
        "-e",
        "71",
        "-e",
        "72",
    )
    assert p.returncode == 0, p.stderr
    assert "ソースツリー" in p.stdout and str(out) in p.stdout, p.stdout
    z = zipfile.ZipFile(out)
    names = z.namelist()
    wheel = [n for n in names if n.startswith("wheels/")]
    assert len(wheel) == 1 and wheel[0].startswith("wheels/nlp100_checker-") and wheel[0].endswith("-py3-none-any.whl")
    assert sorted(names) == sorted(
        ["setup.sh", "run_autograder", wheel[0], "nlp100-autograder.conf", "hidden/71/spec.toml", "hidden/data-secret"]
    )
    mode = {i.filename: (i.external_attr >> 16) & 0o777 for i in z.infolist()}
    assert mode["setup.sh"] == mode["run_autograder"] == 0o755
    assert mode["hidden/data-secret"] == mode["hidden/71/spec.toml"] == 0o600
    assert z.read("run_autograder") == SCRIPT.read_bytes() and z.read("setup.sh") == SETUP.read_bytes()
    assert z.read("hidden/data-secret") == secret.read_bytes()
    assert z.read("hidden/71/spec.toml").decode() == HIDDEN_71
    conf = z.read("nlp100-autograder.conf").decode()
    assert (
        "NLP100_LANG=ja\n" in conf
        and "NLP100_GRADE_EXERCISES=71 72\n" in conf
        and "NLP100_GRADE_PUBLIC_DATA=0\n" in conf
    )
    inner = zipfile.ZipFile(io.BytesIO(z.read(wheel[0]))).namelist()
    assert "nlp100_ch08/exercises/71/spec.toml" in inner and "nlp100_ch08/solution.py" in inner
    assert "checker/autograder/run_autograder" in inner
    assert not (out.parent / "ag.data-secret").exists()  # a given secret is not copied out


def test_scripts_pass_bash_n_and_shellcheck(tmp_path):
    for script in (SETUP, SCRIPT):
        p = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert p.returncode == 0, (script, p.stderr)
        assert script.read_text().startswith("#!/usr/bin/env bash\n")
        assert os.stat(script).st_mode & stat.S_IXUSR
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (bash -n passed)")
    p = subprocess.run(["shellcheck", "-S", "warning", str(SETUP), str(SCRIPT)], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout


def test_generated_secret_is_kept_and_reused(tmp_path, wheel, capsys):
    out = tmp_path / "ag.zip"
    p = _main(capsys, "gradescope-package", "-o", out, "--wheel", wheel)
    assert p.returncode == 0, p.stderr
    keep = tmp_path / "ag.data-secret"
    assert keep.is_file() and stat.S_IMODE(keep.stat().st_mode) == 0o600
    assert str(keep) in p.stdout and "generated" in p.stdout
    first = zipfile.ZipFile(out).read("hidden/data-secret")
    assert first == keep.read_bytes() and len(first.strip()) >= 32
    p = _main(capsys, "gradescope-package", "-o", out, "--wheel", wheel)
    assert p.returncode == 0 and "reused" in p.stdout, p.stdout
    assert zipfile.ZipFile(out).read("hidden/data-secret") == first
    assert "wheels/" + wheel.name in zipfile.ZipFile(out).namelist()


def test_public_data_and_bad_arguments(tmp_path, wheel, capsys):
    out = tmp_path / "ag.zip"
    p = _main(capsys, "gradescope-package", "-o", out, "--wheel", wheel, "--public-data")
    assert p.returncode == 0, p.stderr
    z = zipfile.ZipFile(out)
    assert (
        "hidden/data-secret" not in z.namelist()
        and "NLP100_GRADE_PUBLIC_DATA=1" in z.read("nlp100-autograder.conf").decode()
    )
    assert not (tmp_path / "ag.data-secret").exists()
    secret = tmp_path / "s"
    secret.write_text("x" * 40)
    for args in (
        ["--public-data", "--data-secret", secret],
        ["--hidden", tmp_path / "nope"],
        ["-e", "99"],
        ["--wheel", secret],
    ):
        p = _main(capsys, "gradescope-package", "-o", tmp_path / "bad.zip", "--wheel", wheel, *args)
        assert p.returncode == 2 and "Traceback" not in p.stderr, (args, p.stderr)
    bad = tmp_path / "badhidden" / "71"
    bad.mkdir(parents=True)
    (bad / "spec.toml").write_text("[[items]]\nname = 3\n")
    p = _main(capsys, "gradescope-package", "-o", tmp_path / "bad.zip", "--wheel", wheel, "--hidden", bad.parent)
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
    assert not (tmp_path / "bad.zip").exists()


# -- run_autograder's decisions, with a stub checker -----------------------------------------------

STUB = r"""#!/usr/bin/env bash
# records its call, then plays the checker's part chosen by STUB_MODE
log="$STUB_LOG"
{ echo "CALL $*"; echo "ENV NLP100_HIDDEN=${NLP100_HIDDEN:-} NLP100_DATA_SECRET=${NLP100_DATA_SECRET:-}"; } >> "$log"
out=""; prev=""
for a in "$@"; do [[ "$prev" == --output ]] && out="$a"; prev="$a"; done
case "$STUB_MODE" in
  sandbox2) echo "check: cannot grade: the sandboxed worker did not start; sandbox sandbox" >&2; exit 2 ;;
  graded) printf '{"tests": [{"name": "71 softmax", "score": 3, "max_score": 3}], "score": 3}' > "$out"; echo "graded" >&2; exit 1 ;;
  garbage) printf '{"tests": [' > "$out"; exit 1 ;;
  nothing) exit 0 ;;
  killed) printf '{"tests": []}' > "$out"; exit 137 ;;
esac
"""


@pytest.fixture
def ag(tmp_path):
    """A /autograder tree with a secret, a submission and the stub checker."""
    root = tmp_path / "autograder"
    for d in ("source/hidden", "submission", "results"):
        (root / d).mkdir(parents=True)
    (root / "source" / "hidden" / "data-secret").write_text("s" * 40)
    (root / "submission" / "exercise.py").write_text("def softmax(x, dim=-1):\n    return x\n")
    stub = tmp_path / "stub-check"
    stub.write_text(STUB)
    stub.chmod(0o755)
    return root, stub, tmp_path / "stub.log"


def _run_script(ag, mode, **env):
    root, stub, log = ag
    e = {k: v for k, v in os.environ.items() if not k.startswith("NLP100_")}
    e.update({"NLP100_AUTOGRADER_DIR": str(root), "NLP100_CHECK": str(stub), "STUB_MODE": mode, "STUB_LOG": str(log)})
    e.update(env)
    p = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=e, timeout=60)
    assert p.returncode == 0, p.stderr
    results = root / "results" / "results.json"
    calls = [ln for ln in log.read_text().splitlines()] if log.exists() else []
    return json.loads(results.read_text()), calls, p


def test_exit_2_with_sandbox_is_not_run_again(ag):
    """The old script re-ran with --isolation rlimits as root when the first run exited 2 and said "sandbox"."""
    d, calls, p = _run_script(ag, "sandbox2")
    assert len([c for c in calls if c.startswith("CALL ")]) == 1, calls
    assert "rlimits" not in " ".join(calls)
    assert d["score"] == 0 and d["tests"] == [] and d["extra_data"]["fallback"] is True
    assert "exit status 2" in d["output"] and "sandboxed worker did not start" in d["output"]


def test_one_call_with_isolation_auto_output_lang_hidden_and_secret(ag):
    root = ag[0]
    (root / "results" / "results.json").write_text('{"score": 100, "tests": []}')  # left by someone: removed first
    d, calls, p = _run_script(ag, "graded")
    call = [c for c in calls if c.startswith("CALL ")]
    assert len(call) == 1
    args = call[0].split()[1:]
    assert (
        args[0] == "submit" and args[1].endswith("/exercise.py") and not args[1].startswith(str(root))
    )  # a private copy
    assert "--isolation auto" in call[0] and f"--output {root}/results/results.json" in call[0]
    assert "--format gradescope" in call[0] and "--lang en" in call[0]  # the CLI's default language
    hidden = root / "source" / "hidden"
    assert f"NLP100_HIDDEN={hidden} NLP100_DATA_SECRET={hidden}/data-secret" in calls[1]
    assert d == {"tests": [{"name": "71 softmax", "score": 3, "max_score": 3}], "score": 3}  # the checker's own file
    res = root / "results"
    assert stat.S_IMODE(res.stat().st_mode) == 0o755
    if os.geteuid() == 0:
        assert res.stat().st_uid == 0 and stat.S_IMODE(hidden.stat().st_mode) & 0o077 == 0
    assert "graded" in p.stderr  # the checker's stderr, for the instructor


def test_language_and_exercises_from_the_conf_file_environment_wins(ag):
    root = ag[0]
    (root / "source" / "nlp100-autograder.conf").write_text(
        "# comment\nNLP100_LANG=ja\nNLP100_GRADE_EXERCISES=71 72\nNLP100_CHECK=/bin/false\nBAD=1\n"
    )
    d, calls, _ = _run_script(ag, "graded")
    call = [c for c in calls if c.startswith("CALL ")][-1]
    assert "--lang ja" in call and "--exercise 71 --exercise 72" in call
    d, calls, _ = _run_script(ag, "graded", NLP100_LANG="en", NLP100_GRADE_EXERCISES="72")
    call = [c for c in calls if c.startswith("CALL ")][-1]
    assert "--lang en" in call and "--exercise 72" in call and "--exercise 71" not in call


@pytest.mark.parametrize("mode", ["garbage", "nothing", "killed"])
def test_fallback_when_the_checker_leaves_no_valid_result(ag, mode):
    d, calls, _ = _run_script(ag, mode)
    assert d["score"] == 0 and d["extra_data"]["fallback"] is True, d


def test_no_data_secret_no_grading_unless_public_data(ag):
    root = ag[0]
    (root / "source" / "hidden" / "data-secret").unlink()
    d, calls, _ = _run_script(ag, "graded")
    assert not [c for c in calls if c.startswith("CALL ")]
    assert d["score"] == 0 and "secret" in d["output"]
    d, calls, _ = _run_script(ag, "graded", NLP100_GRADE_PUBLIC_DATA="1")
    assert len([c for c in calls if c.startswith("CALL ")]) == 1 and d["score"] == 3


def test_links_are_not_graded(ag, tmp_path):
    root = ag[0]
    target = tmp_path / "secret.py"
    target.write_text("def softmax(x):\n    return x\n")
    sub = root / "submission" / "exercise.py"
    sub.unlink()
    sub.symlink_to(target)
    d, calls, _ = _run_script(ag, "graded", NLP100_LANG="ja")
    assert not [c for c in calls if c.startswith("CALL ")]
    assert d["score"] == 0 and "exercise.py" in d["output"] and "リンク" in d["output"]
    sub.unlink()
    os.link(target, sub)  # a hard link to a file outside the submission
    d, calls, _ = _run_script(ag, "graded")
    assert not [c for c in calls if c.startswith("CALL ")] and d["score"] == 0
