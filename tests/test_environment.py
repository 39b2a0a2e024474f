"""In CI (.ci/run sets NLP100_REQUIRE_BWRAP=1) the bubblewrap-backed tests must not skip silently."""

import os
import shutil
import subprocess

import pytest


@pytest.mark.skipif(
    os.environ.get("NLP100_REQUIRE_BWRAP") != "1",
    reason="NLP100_REQUIRE_BWRAP is not set (only CI requires bubblewrap)",
)
def test_bubblewrap_is_installed_and_works():
    bwrap = shutil.which("bwrap")
    assert bwrap, "NLP100_REQUIRE_BWRAP=1 but bwrap is not on PATH"
    proc = subprocess.run(
        [bwrap, "--ro-bind", "/", "/", "--unshare-net", "--unshare-pid", "--die-with-parent", "true"],
        capture_output=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
