"""Renderers: each turns a ``Report`` (one record per item) into one output format."""

from __future__ import annotations

FORMATS = ("text", "json", "junit", "gradescope", "github", "html")


def render(report, fmt: str, **opts) -> str:
    if fmt == "text":
        from .text import render_text

        return render_text(report, **opts)
    if fmt == "json":
        from .json_ import render_json

        return render_json(report)
    if fmt == "junit":
        from .junit import render_junit

        return render_junit(report)
    if fmt == "gradescope":
        from .gradescope import render_gradescope

        return render_gradescope(report)
    if fmt == "github":
        from .github import render_github

        return render_github(report)
    if fmt == "html":
        from .html import render_html

        return render_html(report)
    raise ValueError(f"unknown format {fmt!r}")
