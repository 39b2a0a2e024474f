"""A progress bar on stderr for long gradings (rich); used only in text mode on a terminal."""

from __future__ import annotations


class Progress:
    def __init__(self):
        from rich.console import Console
        from rich.progress import Progress as RichProgress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._p = RichProgress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._task = self._p.add_task("starting", total=None)
        self._p.start()

    def __call__(self, event: str, **info) -> None:
        if event == "item":
            self._p.update(self._task, description=f"[{info.get('exercise')}] {info.get('item')}")
        elif event == "step":
            self._p.update(
                self._task, description=f"[{info.get('exercise')}] {info.get('item')}: {info.get('text', '')}"
            )

    def close(self) -> None:
        self._p.stop()
