"""The CI templates of ci-templates/: linted, and their grading steps run as the runners would.

Linters (the ``test`` extra installs them): ``actionlint`` (with ``shellcheck`` for the
``run:`` scripts) on the GitHub workflow, and ``check-jsonschema`` with its built-in
``vendor.github-workflows`` and ``vendor.gitlab-ci`` schemas.  Without them these tests
skip, saying so, unless ``NLP100_REQUIRE_LINTERS=1`` (set by .ci/run), where they fail.

The runs: each job's ``run:`` steps (GitHub) or ``script`` (GitLab) are taken from the
YAML and run in a temporary workspace holding a student's ``exercise.py``, the way the
runner runs them: GitHub's ``shell: bash`` is ``bash --noprofile --norc -eo pipefail
FILE``, with ``GITHUB_OUTPUT`` and ``GITHUB_STEP_SUMMARY`` files per step, the
workflow's ``env:`` with ``${{ vars.X || 'default' }}`` evaluated against the repository
variables a test sets, ``if:`` conditions, and ``${{ steps.grade.outputs.status }}``
read from the ``GITHUB_OUTPUT`` the Grade step wrote.  ``uses:`` steps (checkout,
setup-python, upload-artifact) are not run: the workspace is already there, and the
upload's paths are checked to exist.  The pip job's install step is not run (this
environment already has the checker).  ``check`` on PATH is a wrapper that logs each
call and execs the real one, so the tests can count the gradings: exactly one per job.

Gradings use ``--exercise 71`` and a few generated inputs, through the template's own
variables (``NLP100_GRADE_EXERCISES``, ``NLP100_MAX_EXAMPLES`` on GitHub;
``GRADE_EXERCISES``, ``MAX_EXAMPLES`` on GitLab).
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from checker.grading.records import Report
from checker.report.github import SUMMARY_MARKER

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "ci-templates"
GITHUB = TEMPLATES / "github-actions.yml"
GITLAB = TEMPLATES / "gitlab-ci.yml"
SUBMISSIONS = ROOT / "tests" / "submissions"
CORRECT = SUBMISSIONS / "correct_partial_71.py"
BUGGY = SUBMISSIONS / "bug_softmax_ignores_dim.py"  # softmax fails, predict_proba passes
VENV_BIN = Path(sys.executable).parent
STEP_TIMEOUT_S = 300

# the template's variables that keep a grading short
GH_FAST = {"NLP100_GRADE_EXERCISES": "71", "NLP100_MAX_EXAMPLES": "5"}
GL_FAST = {"GRADE_EXERCISES": "71", "MAX_EXAMPLES": "5"}


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --- linters ----------------------------------------------------------------------------------


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(VENV_BIN)) or shutil.which(name)
    if found is None:
        why = f"{name} is not installed (the test extra installs it: pip install -e '.[test]')"
        if os.environ.get("NLP100_REQUIRE_LINTERS") == "1":
            pytest.fail(why + "; NLP100_REQUIRE_LINTERS=1 requires it")
        pytest.skip(why)
    return found


def _actionlint(path: Path) -> subprocess.CompletedProcess:
    cmd = [_tool("actionlint"), "-no-color", "-shellcheck", _tool("shellcheck"), str(path)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def _schema(schema: str, path: Path) -> subprocess.CompletedProcess:
    cmd = [_tool("check-jsonschema"), "--builtin-schema", schema, str(path)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_actionlint_and_shellcheck_pass_the_github_template():
    p = _actionlint(GITHUB)
    assert p.returncode == 0 and not p.stdout.strip(), p.stdout + p.stderr


@pytest.mark.parametrize("schema, path", [("vendor.github-workflows", GITHUB), ("vendor.gitlab-ci", GITLAB)])
def test_the_templates_match_their_schemas(schema, path):
    p = _schema(schema, path)
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.mark.parametrize(
    "lint, path, old, new, says",
    [
        (
            "actionlint",
            GITHUB,
            "steps.grade.outputs.status",
            "steps.grad.outputs.status",
            'property "grad" is not defined',
        ),
        ("actionlint", GITHUB, 'check submit "$SUBMISSION"', "check submit $SUBMISSION", "SC2086"),
        ("vendor.github-workflows", GITHUB, "runs-on:", "run-on:", "'runs-on' is a required property"),
        (
            "vendor.gitlab-ci",
            GITLAB,
            '- if: $NLP100_INSTALL == "pip"',
            '- iff: $NLP100_INSTALL == "pip"',
            "'iff' was unexpected",
        ),
    ],
)
def test_the_linters_catch_a_broken_template(tmp_path, lint, path, old, new, says):
    """Controls: the same checks fail on a copy with one mistake, so a pass above means something."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / path.name
    broken.write_text(text.replace(old, new), encoding="utf-8")
    p = _actionlint(broken) if lint == "actionlint" else _schema(lint, broken)
    assert p.returncode != 0 and says in p.stdout + p.stderr, p.stdout + p.stderr


# --- the templates' shape -----------------------------------------------------------------------


def _run_steps(job: dict) -> dict[str, dict]:
    return {s["name"]: s for s in job["steps"] if "run" in s}


def _submit_commands(script: str) -> int:
    """Lines that run `check submit` (not an echo that names it)."""
    return len(re.findall(r"^\s*check submit\b", script, re.M))


def test_github_template_shape():
    wf = _load(GITHUB)
    text = GITHUB.read_text(encoding="utf-8")
    image, pip = wf["jobs"]["grade"], wf["jobs"]["grade-pip"]
    # the container job runs as root (images that end with USER 10001 cannot write the runner's files)
    assert re.search(r"--user[ =](root|0)\b", image["container"]["options"])
    # both jobs run the same grading steps
    assert {k: v["run"] for k, v in _run_steps(image).items()} == {
        k: v["run"] for k, v in _run_steps(pip).items() if v.get("id") != "install"
    }
    for job in (image, pip):
        for step in job["steps"]:
            # values reach scripts through env, never through ${{ }} pasted into the script
            assert "${{" not in step.get("run", "")
        assert sum(_submit_commands(s["run"]) for s in job["steps"] if "run" in s) == 1
    assert wf["env"]["MARKER"] == SUMMARY_MARKER
    # no pretending that installing bubblewrap helps on ubuntu-latest (AppArmor blocks it)
    assert "apt-get" not in text and "bubblewrap" not in text


def test_gitlab_template_shape():
    gl = _load(GITLAB)
    jobs = {
        k: _gitlab_job(gl, k)
        for k, v in gl.items()
        if isinstance(v, dict) and not k.startswith(".") and k != "variables"
    }
    assert set(jobs) == {"nlp100-check", "nlp100-check-pip"}
    for job in jobs.values():
        assert job["artifacts"]["reports"]["junit"] == "junit.xml" and job["artifacts"]["when"] == "always"
        assert "result.json" in job["artifacts"]["paths"]
        assert _submit_commands("\n".join(job["script"])) == 1
    assert jobs["nlp100-check"]["image"]["entrypoint"] == [""]
    assert "download.pytorch.org/whl/cpu" in "\n".join(jobs["nlp100-check-pip"]["before_script"])


def test_readme_documents_the_ci_situation():
    text = (TEMPLATES / "README.md").read_text(encoding="utf-8")
    for words in (
        "kernel.apparmor_restrict_unprivileged_userns=0",
        "NLP100_ISOLATION",
        "--user root",
        "check render",
        "feedback, not the grade",
        "NLP100_FAIL_ON",
    ):
        assert words in text, words


# --- a GitHub runner, small -----------------------------------------------------------------

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def gh_eval(expr: str, ctx: dict):
    """The few expression forms the template uses; anything else fails the test (extend it here)."""
    expr = expr.strip()
    if "||" in expr:
        for part in expr.split("||"):
            v = gh_eval(part, ctx)
            if v:
                return v
        return v
    m = re.fullmatch(r"(.+?)\s*(==|!=)\s*(.+)", expr)
    if m:
        a, b = gh_eval(m.group(1), ctx), gh_eval(m.group(3), ctx)
        same = str(a).lower() == str(b).lower()  # GitHub compares strings case-insensitively
        return same if m.group(2) == "==" else not same
    if expr in ("always()",):
        return True
    if expr == "success()":
        return not ctx["failed"]
    if re.fullmatch(r"'[^']*'", expr):
        return expr[1:-1]
    m = re.fullmatch(r"vars\.(\w+)", expr)
    if m:
        return ctx["vars"].get(m.group(1), "")
    m = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr)
    if m:
        return ctx["steps"].get(m.group(1), {}).get(m.group(2), "")
    raise AssertionError(f"the test's expression evaluator does not know {expr!r}")


def gh_substitute(value, ctx: dict) -> str:
    return _EXPR.sub(lambda m: str(gh_eval(m.group(1), ctx)), str(value))


def gh_condition(cond, ctx: dict) -> bool:
    if cond is None:
        return not ctx["failed"]  # success()
    cond = str(cond).strip()
    m = _EXPR.fullmatch(cond)
    return bool(gh_eval(m.group(1) if m else cond, ctx))


def parse_github_output(text: str) -> dict[str, str]:
    out, lines, i = {}, text.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            j = lines.index(delim, i + 1)
            out[name] = "\n".join(lines[i + 1 : j])
            i = j + 1
            continue
        if "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
        i += 1
    return out


@dataclass
class StepRun:
    name: str
    ran: bool
    rc: int = 0
    stdout: str = ""
    stderr: str = ""
    outputs: dict = field(default_factory=dict)
    summary: str = ""


@dataclass
class JobRun:
    workspace: Path
    steps: list[StepRun]
    failed: bool
    check_calls: list[list[str]]
    artifacts: list[str] = field(default_factory=list)

    def step(self, name: str) -> StepRun:
        return next(s for s in self.steps if s.name == name)

    @property
    def summary(self) -> str:
        return "".join(s.summary for s in self.steps)

    @property
    def log(self) -> str:
        return "".join(s.stdout + s.stderr for s in self.steps)

    @property
    def submits(self) -> list[list[str]]:
        return [c for c in self.check_calls if c[:1] == ["submit"]]

    @property
    def renders(self) -> list[list[str]]:
        return [c for c in self.check_calls if c[:1] == ["render"]]

    def result(self) -> dict:
        return json.loads((self.workspace / "result.json").read_text(encoding="utf-8"))


def _workspace(tmp: Path, submission: Path | None, stale_result: bool = False) -> tuple[Path, dict]:
    """A workspace with the student's file, and the runner's environment around it."""
    ws = tmp / "workspace"
    ws.mkdir(parents=True)
    if submission is not None:
        shutil.copyfile(submission, ws / "exercise.py")
    if stale_result:  # a result.json committed by the student: must never be reported
        (ws / "result.json").write_text(json.dumps({"submission": "exercise.py", "exercises": []}), encoding="utf-8")
    wrapper_dir = tmp / "wrapper"
    wrapper_dir.mkdir()
    real = VENV_BIN / "check"
    real_cmd = shlex.quote(str(real)) if real.exists() else f"{shlex.quote(sys.executable)} -m checker.cli"
    log = tmp / "check-calls.jsonl"
    wrapper = wrapper_dir / "check"
    wrapper.write_text(
        "#!/bin/sh\n"
        f"{shlex.quote(sys.executable)} -c 'import json, sys; print(json.dumps(sys.argv[1:]))' \"$@\" >> {shlex.quote(str(log))}\n"
        f'exec {real_cmd} "$@"\n',
        encoding="utf-8",
    )
    wrapper.chmod(0o755)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "RUNNER_", "CI_", "GITLAB_"))
        and not (k.startswith("NLP100_") and "CANARY" not in k)
        and k not in ("CI", "NO_COLOR")
    }
    env.update(PATH=os.pathsep.join([str(wrapper_dir), str(VENV_BIN), os.environ.get("PATH", "")]), CI="true")
    (tmp / "runner_temp").mkdir()
    return ws, {"env": env, "log": log, "temp": tmp / "runner_temp"}


def _calls(log: Path) -> list[list[str]]:
    return [json.loads(ln) for ln in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []


def github_jobs_that_run(variables: dict) -> list[str]:
    wf = _load(GITHUB)
    return [
        name
        for name, job in wf["jobs"].items()
        if gh_condition(job.get("if"), {"vars": variables, "steps": {}, "failed": False})
    ]


def run_github_job(
    tmp: Path,
    variables: dict,
    submission: Path | None = CORRECT,
    *,
    stale_result: bool = False,
    only: tuple[str, ...] | None = None,
    status: str | None = None,
) -> JobRun:
    """Run the job the repository variables select, step by step; ``only`` runs just those steps."""
    wf = _load(GITHUB)
    names = github_jobs_that_run(variables)
    assert len(names) == 1, names
    job = wf["jobs"][names[0]]
    ws, rt = _workspace(tmp, submission, stale_result)
    ctx = {"vars": variables, "steps": {}, "failed": False}
    if status is not None:
        ctx["steps"]["grade"] = {"status": status}
    base = dict(
        rt["env"],
        GITHUB_WORKSPACE=str(ws),
        GITHUB_ACTIONS="true",
        RUNNER_TEMP=str(rt["temp"]),
        RUNNER_OS="Linux",
        CHECK_LOG=str(rt["log"]),
    )
    wf_env = {k: gh_substitute(v, ctx) for k, v in (wf.get("env") or {}).items()}
    job_env = {k: gh_substitute(v, ctx) for k, v in (job.get("env") or {}).items()}
    default_shell = ((job.get("defaults") or wf.get("defaults") or {}).get("run") or {}).get("shell")
    runs, artifacts = [], []
    for n, step in enumerate(job["steps"]):
        name = step.get("name") or step.get("uses") or str(n)
        if only is not None and name not in only:
            continue
        if "uses" in step:
            if step["uses"].startswith("actions/upload-artifact") and gh_condition(step.get("if"), ctx):
                artifacts += [p.strip() for p in step["with"]["path"].splitlines() if p.strip()]
            runs.append(StepRun(name, ran=False))
            continue
        if step.get("id") == "install":  # the pip job's install: this environment has the checker
            runs.append(StepRun(name, ran=False))
            continue
        if not gh_condition(step.get("if"), ctx):
            runs.append(StepRun(name, ran=False))
            continue
        shell = step.get("shell") or default_shell
        assert shell == "bash", f"step {name!r}: the test runs `shell: bash` steps only, not {shell!r}"
        script = rt["temp"] / f"step{n}.sh"
        script.write_text(step["run"], encoding="utf-8")
        out_file, sum_file = rt["temp"] / f"output{n}", rt["temp"] / f"summary{n}"
        out_file.touch()
        sum_file.touch()
        env = dict(
            base,
            **wf_env,
            **job_env,
            **{k: gh_substitute(v, ctx) for k, v in (step.get("env") or {}).items()},
            GITHUB_OUTPUT=str(out_file),
            GITHUB_STEP_SUMMARY=str(sum_file),
        )
        p = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=ws,
            env=env,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
        outputs = parse_github_output(out_file.read_text(encoding="utf-8"))
        if step.get("id"):
            ctx["steps"][step["id"]] = outputs
        if p.returncode != 0:
            ctx["failed"] = True
        runs.append(
            StepRun(name, True, p.returncode, p.stdout, p.stderr, outputs, sum_file.read_text(encoding="utf-8"))
        )
    return JobRun(ws, runs, ctx["failed"], _calls(rt["log"]), artifacts)


# --- a GitLab runner, smaller ------------------------------------------------------------------


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _gitlab_job(gl: dict, name: str) -> dict:
    job = gl[name]
    parents = job.get("extends") or []
    for parent in [parents] if isinstance(parents, str) else parents:
        job = _merge(_gitlab_job(gl, parent), {k: v for k, v in job.items() if k != "extends"})
    return job


def gitlab_rule(rules: list | None, variables: dict) -> bool:
    if not rules:
        return True
    for rule in rules:
        m = re.fullmatch(r'\$(\w+)\s*(==|!=)\s*"([^"]*)"', rule["if"].strip())
        assert m, f"the test's rule evaluator does not know {rule['if']!r}"
        value = variables.get(m.group(1))  # undefined is neither equal to nor ... a string
        if (value == m.group(3)) == (m.group(2) == "=="):
            return rule.get("when", "on_success") != "never"
    return False


def gitlab_jobs_that_run(variables: dict) -> list[str]:
    gl = _load(GITLAB)
    return [
        k
        for k, v in gl.items()
        if isinstance(v, dict)
        and not k.startswith(".")
        and k != "variables"
        and gitlab_rule(_gitlab_job(gl, k).get("rules"), variables)
    ]


def run_gitlab_job(
    tmp: Path,
    variables: dict,
    submission: Path | None = CORRECT,
    *,
    shell: str = "bash",
    last_only: bool = False,
    status: str | None = None,
) -> JobRun:
    """The selected job's script, in one shell as GitLab runs it (`set -eo pipefail` for bash, `set -e` for sh).

    ``last_only``: only the script's last entry (the verdict), with the shell variable
    ``status`` that the entries before it would have set.
    """
    gl = _load(GITLAB)
    names = gitlab_jobs_that_run(variables)
    assert len(names) == 1, names
    job = _gitlab_job(gl, names[0])
    ws, rt = _workspace(tmp, submission)
    env = dict(rt["env"], CHECK_LOG=str(rt["log"]), GITLAB_CI="true", CI_PROJECT_DIR=str(ws))
    env.update({k: str(v) for k, v in (gl.get("variables") or {}).items()})
    env.update({k: str(v) for k, v in (job.get("variables") or {}).items()})
    env.update(variables)  # CI/CD variables win over the file's
    prologue = "set -eo pipefail\n" if shell == "bash" else "set -e\n"
    entries = job["script"][-1:] if last_only else job["script"]
    if status is not None:
        prologue += f"status={shlex.quote(status)}\n"
    script = rt["temp"] / "script.sh"
    script.write_text(prologue + "\n".join(entries) + "\n", encoding="utf-8")
    argv = ["bash", "--noprofile", "--norc", str(script)] if shell == "bash" else ["sh", str(script)]
    p = subprocess.run(
        argv, cwd=ws, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT_S, stdin=subprocess.DEVNULL
    )
    step = StepRun("script", True, p.returncode, p.stdout, p.stderr)
    return JobRun(ws, [step], p.returncode != 0, _calls(rt["log"]), list(job["artifacts"]["paths"]))


def test_repository_variables_select_exactly_one_job():
    assert github_jobs_that_run({}) == ["grade"]
    assert github_jobs_that_run({"NLP100_INSTALL": "pip"}) == ["grade-pip"]
    assert gitlab_jobs_that_run({}) == ["nlp100-check"]
    assert gitlab_jobs_that_run({"NLP100_INSTALL": "pip"}) == ["nlp100-check-pip"]


# --- the runs ---------------------------------------------------------------------------------

SCENARIOS = {
    # name: (runner, variables, submission, keyword arguments)
    "gh_correct": ("github", GH_FAST, CORRECT, {}),
    "gh_buggy": ("github", GH_FAST, BUGGY, {}),
    "gh_pip_buggy_fail_on_2": ("github", dict(GH_FAST, NLP100_INSTALL="pip", NLP100_FAIL_ON="2"), BUGGY, {}),
    "gh_missing": ("github", dict(GH_FAST, NLP100_SUBMISSION="missing.py"), None, {"stale_result": True}),
    "gl_correct": ("gitlab", GL_FAST, CORRECT, {"shell": "bash"}),
    "gl_buggy_sh": ("gitlab", GL_FAST, BUGGY, {"shell": "sh"}),
    "gl_missing": ("gitlab", dict(GL_FAST, SUBMISSION="missing.py"), None, {"shell": "sh"}),
}


@pytest.fixture(scope="module")
def jobs(tmp_path_factory) -> dict[str, JobRun]:
    """Every scenario run once, two at a time (each is one grading of exercise 71)."""

    def one(name):
        runner, variables, submission, kw = SCENARIOS[name]
        tmp = tmp_path_factory.mktemp(name)
        fn = run_github_job if runner == "github" else run_gitlab_job
        return fn(tmp, variables, submission, **kw)

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(SCENARIOS, pool.map(one, SCENARIOS)))


def _def_line(path: Path, function: str) -> int:
    return next(
        n for n, ln in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if ln.startswith(f"def {function}(")
    )


def _assert_graded_once(run: JobRun, submission: Path, expect_status: int) -> Report:
    assert len(run.submits) == 1, run.check_calls
    args = run.submits[0]
    assert args[1] == "exercise.py" and args[args.index("--exercise") : args.index("--exercise") + 2] == [
        "--exercise",
        "71",
    ]
    assert "--max-examples" in args and "--format" in args and args[args.index("--format") + 1] == "json"
    d = run.result()
    report = Report.from_dict(d)  # valid, by the reader `check render` uses
    assert d["exit_status"] == report.exit_status == expect_status
    assert d["submission"] == "exercise.py" and [e["id"] for e in d["exercises"]] == ["71"]
    assert d["sha256"] == hashlib.sha256(submission.read_bytes()).hexdigest()
    assert d["max_examples"] == 5
    for r in run.renders:
        assert r[1] == "result.json", r
    return report


@pytest.mark.slow
def test_github_correct_submission_passes_with_a_summary(jobs):
    run = jobs["gh_correct"]
    assert not run.failed, run.log
    assert [s.name for s in run.steps if s.ran] == ["Grade", "Feedback", "Pass or fail"]
    assert run.step("Grade").outputs == {"status": "0"}
    report = _assert_graded_once(run, CORRECT, 0)
    assert run.renders == [["render", "result.json", "--format", "github", "-o", "github.txt"]]
    feedback = run.step("Feedback").stdout
    assert feedback.splitlines() == [f"::notice title=nlp100-checker::total: {report.score:g}/{report.max_score:g}"]
    assert "| Exercise | Item | Status | Points |" in run.summary and "✅" in run.summary and "❌" not in run.summary
    assert SUMMARY_MARKER not in run.summary and not run.summary.startswith("::")
    assert all((run.workspace / p).exists() for p in run.artifacts if p == "result.json")


@pytest.mark.slow
def test_github_buggy_submission_fails_with_annotations(jobs):
    run = jobs["gh_buggy"]
    assert run.failed
    assert run.step("Grade").rc == 0 and run.step("Feedback").rc == 0 and run.step("Pass or fail").rc == 1
    assert run.step("Grade").outputs == {"status": "1"}
    _assert_graded_once(run, BUGGY, 1)
    feedback = run.step("Feedback").stdout
    line = _def_line(BUGGY, "softmax")
    assert f"::error file=exercise.py,line={line},title=71 softmax%3A failed::" in feedback
    assert "predict_proba" not in feedback  # it passed: no annotation
    assert all(ln.startswith("::") for ln in feedback.splitlines())
    assert (
        "| Exercise | Item | Status | Points |" in run.summary and "❌" in run.summary and "### Details" in run.summary
    )
    assert "grading status 1; the job fails on: 1 2" in run.step("Pass or fail").stdout
    assert "result.json" in run.artifacts and (run.workspace / "result.json").is_file()


@pytest.mark.slow
def test_github_pip_job_with_fail_on_2_stays_green_and_still_annotates(jobs):
    run = jobs["gh_pip_buggy_fail_on_2"]
    assert not run.failed, run.log
    names = [s.name for s in run.steps]
    assert "Install the checker" in names and not run.step("Install the checker").ran
    _assert_graded_once(run, BUGGY, 1)
    assert "::error file=exercise.py," in run.step("Feedback").stdout
    assert "❌" in run.summary


@pytest.mark.slow
def test_github_could_not_grade_fails_and_never_reports_a_stale_result(jobs):
    run = jobs["gh_missing"]
    assert run.failed and run.step("Grade").outputs == {"status": "2"}
    assert len(run.submits) == 1 and run.renders == []
    assert "::error title=nlp100-checker::the checker could not grade missing.py" in run.step("Feedback").stdout
    assert "there is no such file" in run.step("Grade").stderr
    assert not (run.workspace / "result.json").exists()  # the committed one was removed, not rendered
    assert run.summary == ""


@pytest.mark.parametrize(
    "status, fail_on, fails",
    [
        ("0", None, False),
        ("1", None, True),
        ("2", None, True),  # unset: the default "1 2"
        ("0", "2", False),
        ("1", "2", False),
        ("2", "2", True),
        ("1", "1", True),
        ("2", "1", False),
        ("", None, True),
        ("", "2", True),  # no status: the Grade step did not finish
        ("1", "12", False),
        ("1", " 1  2 ", True),
    ],
)
def test_github_pass_or_fail_follows_fail_on(tmp_path, status, fail_on, fails):
    """The last step alone, with the status the Grade step would have written."""
    variables = {} if fail_on is None else {"NLP100_FAIL_ON": fail_on}
    run = run_github_job(tmp_path, variables, only=("Pass or fail",), status=status)
    assert [s.name for s in run.steps if s.ran] == ["Pass or fail"]
    assert run.failed == fails, run.log
    assert not run.check_calls


@pytest.mark.slow
def test_gitlab_correct_submission_passes_with_junit(jobs):
    run = jobs["gl_correct"]
    assert not run.failed, run.log
    report = _assert_graded_once(run, CORRECT, 0)
    assert run.renders == [["render", "result.json", "--format", "junit", "-o", "junit.xml"]]
    suites = ET.parse(run.workspace / "junit.xml").getroot()
    cases = {c.get("name"): c for c in suites.iter("testcase")}
    assert set(cases) == {"softmax", "predict_proba"} and not any(len(c) for c in cases.values())
    assert f"score: {report.score:g} / {report.max_score:g}" in run.log
    assert all((run.workspace / p).exists() for p in run.artifacts if not p.endswith("/"))


@pytest.mark.slow
def test_gitlab_buggy_submission_fails_under_posix_sh(jobs):
    run = jobs["gl_buggy_sh"]
    assert run.failed and run.steps[0].rc == 1, run.log
    _assert_graded_once(run, BUGGY, 1)
    cases = {c.get("name"): c for c in ET.parse(run.workspace / "junit.xml").getroot().iter("testcase")}
    assert cases["softmax"].find("failure") is not None and cases["predict_proba"].find("failure") is None
    assert "grading status 1; the job fails on: 1 2" in run.log


@pytest.mark.parametrize(
    "status, fail_on, fails",
    [
        ("0", None, False),
        ("1", None, True),
        ("2", None, True),  # the file's default "1 2"
        ("0", "2", False),
        ("1", "2", False),
        ("2", "2", True),
        ("1", "1", True),
        ("2", "1", False),
        ("1", "12", False),
        ("1", " 1  2 ", True),
    ],
)
@pytest.mark.parametrize("shell", ["bash", "sh"])
def test_gitlab_verdict_follows_fail_on(tmp_path, shell, status, fail_on, fails):
    """The script's last entry alone, after the grading entry set `status`."""
    variables = {} if fail_on is None else {"FAIL_ON": fail_on}
    run = run_gitlab_job(tmp_path, variables, shell=shell, last_only=True, status=status)
    assert run.failed == fails and run.steps[0].rc in (0, 1), run.log
    assert not run.check_calls


@pytest.mark.slow
def test_gitlab_could_not_grade_fails_without_a_report(jobs):
    run = jobs["gl_missing"]
    assert run.failed and len(run.submits) == 1 and run.renders == []
    assert "the checker could not grade missing.py" in run.log
    assert not (run.workspace / "junit.xml").exists() and not (run.workspace / "result.json").exists()
