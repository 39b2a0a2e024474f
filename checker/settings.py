"""Every ``NLP100_*`` environment variable the checker reads, in one place, read once.

=======================  =========================================================================
variable                 meaning
=======================  =========================================================================
NLP100_LANG              default ``--lang`` (``en`` | ``ja``)
NLP100_BACKEND           default ``--backend`` (``local`` | ``docker`` | ``auto``)
NLP100_ISOLATION         default ``--isolation`` of the local backend (``auto`` | ``bwrap`` | ``rlimits``)
NLP100_EXERCISES_DIR     a folder of exercise folders used *instead of* the installed packs' exercises
NLP100_HIDDEN            the instructor's folder of hidden items (``NN/spec.toml``) and data secret
NLP100_DATA_SECRET       a file whose bytes seed the default data (authoritative grading)
NLP100_CACHE             where built datasets live (else ``$XDG_CACHE_HOME/nlp100-checker``)
NLP100_IMAGE             the grader image of the docker backend
NLP100_DOCKER_WORKER     ``image``: use the worker files inside the image instead of this checker's
NLP100_POOL_SOCKET       the socket of a running warm pool (``check pool start``)
=======================  =========================================================================

Exercise *ids* are never read from the environment by the checker; the Gradescope
script's ``NLP100_GRADE_EXERCISES`` is a shell variable of that script only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

LANGS = ("en", "ja")
BACKENDS = ("local", "docker", "auto")
ISOLATIONS = ("auto", "bwrap", "rlimits")


def _path(v: str | None) -> Path | None:
    return Path(v).expanduser() if v else None


def _choice(v: str | None, choices: tuple[str, ...], default: str) -> str:
    return v if v in choices else default


@dataclass(frozen=True)
class Settings:
    lang: str = "en"
    backend: str = "local"
    isolation: str = "auto"
    exercises_dir: Path | None = None
    hidden_dir: Path | None = None
    data_secret: Path | None = None
    cache_dir: Path | None = None
    image: str | None = None
    docker_worker: str | None = None
    pool_socket: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        e = os.environ if env is None else env
        return cls(
            lang=_choice(e.get("NLP100_LANG"), LANGS, "en"),
            backend=_choice(e.get("NLP100_BACKEND"), BACKENDS, "local"),
            isolation=_choice(e.get("NLP100_ISOLATION"), ISOLATIONS, "auto"),
            exercises_dir=_path(e.get("NLP100_EXERCISES_DIR")),
            hidden_dir=_path(e.get("NLP100_HIDDEN")),
            data_secret=_path(e.get("NLP100_DATA_SECRET")),
            cache_dir=_path(e.get("NLP100_CACHE")),
            image=e.get("NLP100_IMAGE") or None,
            docker_worker=e.get("NLP100_DOCKER_WORKER") or None,
            pool_socket=_path(e.get("NLP100_POOL_SOCKET")),
        )

    def problems(self, env: Mapping[str, str] | None = None) -> list[str]:
        """Values set in the environment that are not understood (``check doctor`` shows them)."""
        e = os.environ if env is None else env
        out = []
        for name, choices in (("NLP100_LANG", LANGS), ("NLP100_BACKEND", BACKENDS), ("NLP100_ISOLATION", ISOLATIONS)):
            v = e.get(name)
            if v and v not in choices:
                out.append(f"{name}={v!r} is not one of {', '.join(choices)}; ignored")
        if e.get("NLP100_EXERCISES"):
            out.append("NLP100_EXERCISES is not read by the checker (a folder is NLP100_EXERCISES_DIR)")
        return out


def current() -> Settings:
    """The settings of this process's environment (read anew each call: tests change the environment)."""
    return Settings.from_env()
