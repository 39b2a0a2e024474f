"""docs/authoring.md, followed in a temporary folder: its commands run, its files written, its promised output checked.

The guide marks what this test uses:

- ```` ```sh {test} ```` (or ``{test exit=N}``): commands run with bash in the folder, in order; every ``export``
  line of an earlier such block is run first (each block is a fresh shell); the exit status must be 0 (or N);
- ```` ```text {stdout} ````: right after a command block, what it prints on stdout; every line must be in
  the real output (timings such as ``2.4 s`` may differ; lines that depend on the machine, ``backend: ...``,
  are not compared);
- ```` ```<lang> {file=PATH} ````: a file the reader writes; written before the next command block (a file that
  holds a fence itself, a statement, is fenced with four backticks).

Run as a script (``python tests/test_authoring_guide.py FOLDER``) it follows the guide in FOLDER and prints
each block's real output, to paste into the guide after a change.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "authoring.md"
FENCE = re.compile(r"^(`{3,})([A-Za-z0-9_-]*)(?:[ \t]+\{([^}]*)\})?[ \t]*\n(.*?)^\1[ \t]*$", re.M | re.S)
MACHINE = ("backend:",)
TIMING = re.compile(r"\d+(?:\.\d+)? s\b")


@dataclass
class Block:
    lang: str
    attrs: dict
    text: str


def blocks(guide: str) -> list[Block]:
    out = []
    for m in FENCE.finditer(guide):
        attrs = {}
        for part in (m.group(3) or "").split():
            key, _, value = part.partition("=")
            attrs[key] = value or True
        out.append(Block(m.group(2), attrs, m.group(4)))
    return out


def env_for(folder: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NLP100_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["NO_COLOR"] = "1"
    env["HOME"] = env.get("HOME", str(folder))
    return env


def normal(line: str) -> str:
    return TIMING.sub("N s", line.rstrip())


def follow(folder: Path, guide: str, echo=None) -> list[tuple[Block, subprocess.CompletedProcess]]:
    """Run the guide's commands in ``folder``; (block, result) for each command block."""
    exports: list[str] = []
    ran = []
    for b in blocks(guide):
        if "file" in b.attrs:
            path = folder / b.attrs["file"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(b.text, encoding="utf-8")
        elif "test" in b.attrs:
            script = "\n".join(exports + [b.text])
            r = subprocess.run(
                ["bash", "-c", script],
                cwd=str(folder),
                env=env_for(folder),
                capture_output=True,
                text=True,
                timeout=1200,
            )
            ran.append((b, r))
            if echo is not None:
                echo(b, r)
            exports += [ln for ln in b.text.splitlines() if ln.startswith("export ")]
    return ran


def expected_stdout(guide: str) -> list[tuple[Block, Block | None]]:
    """Each command block with the ``{stdout}`` block that follows it, if any."""
    bs = blocks(guide)
    out = []
    for i, b in enumerate(bs):
        if "test" in b.attrs:
            nxt = bs[i + 1] if i + 1 < len(bs) and "stdout" in bs[i + 1].attrs else None
            out.append((b, nxt))
    return out


TEXT = GUIDE.read_text(encoding="utf-8")

# the commands the guide must show (a change to the guide that drops one fails here, not silently)
MUST_RUN = [
    "export NLP100_EXERCISES_DIR=$PWD/exercises",
    "check new 80",
    "check validate 80",
    "check validate --mutants-only 80",
    "check submit student.py --exercise 80",
    "python -m pytest -q exercises/80/test_80.py",
    "NLP100_HIDDEN=$PWD/hidden check list",
]


def test_the_guide_marks_its_commands_outputs_and_files():
    commands = "\n".join(b.text for b in blocks(TEXT) if "test" in b.attrs)
    for c in MUST_RUN:
        assert c in commands, c
    files = {b.attrs["file"] for b in blocks(TEXT) if "file" in b.attrs}
    assert {
        "exercises/80/spec.toml",
        "exercises/80/solution.py",
        "exercises/80/template.py",
        "exercises/80/checks.py",
        "student.py",
        "hidden/80/spec.toml",
    } <= files
    assert sum(1 for _, out in expected_stdout(TEXT) if out is not None) >= 6
    for topic in (
        "## Choosing tolerances",
        "## Input spaces",
        "## Hidden checks",
        "## Typed parameters",
        "## Reading the mutation report",
        "## Equivalent mutants",
    ):
        assert topic in TEXT, topic


def test_the_guide_shows_the_tolerance_table_of_the_code():
    import torch

    from checker.numerics.tolerances import TABLE

    for dtype, tol in TABLE.items():
        name = str(dtype).replace("torch.", "")
        assert re.search(rf"\| `{name}` \| {tol.rtol:g} \| {tol.atol:g} \|", TEXT), name
    assert torch.float32 in TABLE


@pytest.mark.slow
def test_following_the_guide_gives_what_it_promises(tmp_path):
    ran = follow(tmp_path, TEXT)
    promised = expected_stdout(TEXT)
    assert len(ran) == len(promised)
    for (b, r), (_, out) in zip(ran, promised):
        want = int(b.attrs.get("exit", 0))
        assert r.returncode == want, f"{b.text}\nexit {r.returncode}\n{r.stdout}\n{r.stderr}"
        if out is None:
            continue
        got = [normal(ln) for ln in r.stdout.splitlines()]
        for line in out.text.splitlines():
            if not line.strip() or line.startswith(MACHINE):
                continue
            assert normal(line) in got, f"{b.text}\nmissing: {line!r}\ngot:\n{r.stdout}\n{r.stderr}"
    # what the guide promises in words: the scaffold and the finished exercise validate, with a mutation score
    validate = [r for b, r in ran if "check validate" in b.text]
    assert validate[0].returncode == 0 and "mutation score 100.0 %" in validate[0].stdout
    assert validate[-1].returncode == 0 and re.search(r"^80  mutation score \d+\.\d % ", validate[-1].stdout, re.M)
    assert (tmp_path / "exercises" / "80" / "solution.py").read_text() == next(
        b.text for b in blocks(TEXT) if b.attrs.get("file") == "exercises/80/solution.py"
    )


def refreshed(guide: str, ran: list[tuple[Block, subprocess.CompletedProcess]]) -> str:
    """The guide with each ``{stdout}`` block replaced by what its command block printed (in order)."""
    out, pos = [], 0
    matches = list(FENCE.finditer(guide))
    commands = [k for k, m in enumerate(matches) if "test" in (m.group(3) or "")]
    assert len(commands) == len(ran)
    for k, (_, r) in zip(commands, ran):
        nxt = matches[k + 1] if k + 1 < len(matches) else None
        if nxt is None or "stdout" not in (nxt.group(3) or ""):
            continue
        text = r.stdout if r.stdout.endswith("\n") else r.stdout + "\n"
        out.append(guide[pos : nxt.start(4)] + text)
        pos = nxt.end(4)
    return "".join(out) + guide[pos:]


if __name__ == "__main__":
    # python tests/test_authoring_guide.py FOLDER [--write]: follow the guide in FOLDER, print what each command printed;
    # with --write, put the real stdout into the guide's {stdout} blocks
    where = Path(sys.argv[1]).resolve()
    where.mkdir(parents=True, exist_ok=True)

    def show(b, r):
        print(
            f"$ {b.text.strip()}\n[exit {r.returncode}]\n{r.stdout}\n--- stderr ---\n{r.stderr}\n=========", flush=True
        )

    ran = follow(where, TEXT, echo=show)
    if "--write" in sys.argv[2:]:
        GUIDE.write_text(refreshed(TEXT, ran), encoding="utf-8")
