"""The last complete build of the site, copied aside, so that a rebuild never shows half a site.

``mkdocs build`` empties ``site/`` and writes it again over several seconds. Served straight
from there, pages were missing and checklists unknown meanwhile: 13 of 29 submissions made
during a rebuild got "422 unknown checklist" and were lost. A build now writes
``build-complete.json`` last; when it changes, the service copies the whole site into a
private folder and swaps to it at once, pages and training contract together.

The copy has two halves: a private one, whose ``checklist.json`` files keep the answer keys
the service scores with, and the public one it serves, whose training pages have none
(:mod:`.answerkey`). A site without that file (one built by hand, or by an older release)
is served as it is, its pages checking answers themselves.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from starlette.staticfiles import StaticFiles

from ..site.complete import BUILD_COMPLETE
from .answerkey import keep_keys_private
from .scoring import PublishedSite

log = logging.getLogger("generator.records")


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


@dataclass(frozen=True)
class Snapshot:
    folder: Path
    stamp: tuple[int, int, int] | None
    published: PublishedSite
    """The training contract with its answer keys, read from the private copy."""
    files: StaticFiles
    """What is served: the public copy, its training pages without answer keys."""
    explanations: dict[str, dict[str, str]] | None = None
    """checklist -> question -> explanation HTML; ``None`` when the pages check answers themselves."""


class LiveSite:
    """Hands out the current :class:`Snapshot`, taking a new one when a build completes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._work = Path(tempfile.mkdtemp(prefix="policy-records-site-"))
        self._older: list[Path] = []
        self._count = 0
        self.current = self._take() or self._serve_as_is()

    def _serve_as_is(self) -> Snapshot:
        # No complete build to copy: the pages keep their hashed self-check.
        return Snapshot(self.root, None, PublishedSite(self.root), StaticFiles(directory=self.root, html=True))

    def _take(self) -> Snapshot | None:
        """Copy the site if a complete build is there; ``None`` while none is."""
        marker = self.root / BUILD_COMPLETE
        before = _stamp(marker)
        if before is None:
            return None
        self._count += 1
        folder = self._work / f"build-{self._count}"
        private, public = folder / "private", folder / "public"
        try:
            shutil.copytree(self.root, private)
        except (OSError, shutil.Error) as e:
            # A rebuild began while copying: keep what is served now, take the next one.
            log.warning("the site changed while it was being copied (%s); still serving the last "
                        "complete build", e)
            shutil.rmtree(folder, ignore_errors=True)
            return None
        if _stamp(marker) != before:
            shutil.rmtree(folder, ignore_errors=True)
            return None
        shutil.copytree(private, public)
        explanations = keep_keys_private(public)
        return Snapshot(folder, before, PublishedSite(private), StaticFiles(directory=public, html=True),
                        explanations)

    def get(self) -> Snapshot:
        """The snapshot to use for this request; one ``stat`` when nothing changed."""
        now = _stamp(self.root / BUILD_COMPLETE)
        current = self.current
        if now is None or now == current.stamp:
            return current
        with self._lock:
            if self.current.stamp == now:
                return self.current
            taken = self._take()
            if taken is not None:
                if self.current.folder != self.root:
                    # Kept one build longer: a request may still be reading a file from it.
                    self._older.append(self.current.folder)
                while len(self._older) > 1:
                    shutil.rmtree(self._older.pop(0), ignore_errors=True)
                self.current = taken
            return self.current

    def close(self) -> None:
        shutil.rmtree(self._work, ignore_errors=True)


class SiteFiles:
    """ASGI app: the static files of the current snapshot."""

    def __init__(self, live: LiveSite) -> None:
        self.live = live

    async def __call__(self, scope, receive, send) -> None:
        await self.live.get().files(scope, receive, send)
