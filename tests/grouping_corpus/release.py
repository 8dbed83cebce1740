"""Load the fake shop and its libraries as a deployed release runs them.

Each release lives in its own directory (``/srv/releases/<n>/``, as deploy tools lay
them out), with its code moved down by some lines (a later release adds code above)
and its own version of the HTTP library.  The modules are compiled from the files
next to this one under those fake paths, and the loader serves their source, so the
SDK reads context lines exactly as it does for files on disk.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
SITE_PACKAGES = "venv/lib/python3.11/site-packages"


@dataclass(frozen=True)
class Release:
    name: str
    shift: int  # lines a later release added above the code of each module
    tinyhttp: str  # which version of the HTTP library it ships
    sdk_project_root: bool  # whether the SDK marks in-app frames itself

    @property
    def root(self) -> str:
        return f"/srv/releases/{self.name}"


RELEASES = (
    Release("101", shift=0, tinyhttp="tinyhttp_v1", sdk_project_root=True),
    Release("102", shift=9, tinyhttp="tinyhttp_v2", sdk_project_root=False),
)


def _sources(release: Release) -> dict[str, tuple[str, str, bool]]:
    """Module name → (fake path, source, is a package)."""
    out: dict[str, tuple[str, str, bool]] = {}
    for path in sorted((HERE / "shop").glob("*.py")):
        name = "shop" if path.stem == "__init__" else f"shop.{path.stem}"
        # Modules move by different amounts, as real changes do.
        moved = release.shift + len(path.stem) % 4 if release.shift else 0
        header = "".join(f"# {release.name}: line added above ({i})\n" for i in range(moved))
        out[name] = (f"{release.root}/shop/{path.name}", header + path.read_text(), False)
    out["shop"] = (out["shop"][0], out["shop"][1], True)
    site = f"{release.root}/{SITE_PACKAGES}"
    for name, source in (("tinyhttp", release.tinyhttp), ("tinyweb", "tinyweb")):
        text = (HERE / "site" / f"{source}.py").read_text()
        out[name] = (f"{site}/{name}/__init__.py", text, True)
    return out


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, sources: dict[str, tuple[str, str, bool]]) -> None:
        self.sources = sources

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.sources:
            return None
        origin, _, package = self.sources[fullname]
        spec = importlib.util.spec_from_loader(fullname, self, origin=origin, is_package=package)
        if spec is not None:
            spec.has_location = True  # sets __file__ to the fake path
        return spec

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        origin, source, _ = self.sources[module.__name__]
        exec(compile(source, origin, "exec"), module.__dict__)  # noqa: S102 - our own files

    def get_source(self, fullname: str) -> str:
        return self.sources[fullname][1]


def _forget(names: Collection[str]) -> None:
    for name in list(sys.modules):
        if name in names or name.startswith("shop."):
            del sys.modules[name]


@contextmanager
def deployed(release: Release) -> Iterator[None]:
    """Make ``import shop`` (and its libraries) load this release's code."""
    finder = _Finder(_sources(release))
    _forget(finder.sources)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        _forget(finder.sources)
