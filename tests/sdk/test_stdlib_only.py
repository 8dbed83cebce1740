"""The SDK's core imports the standard library and itself, nothing else (not even the
server's package): it installs into any application without pulling anything in."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SDK = Path(__file__).resolve().parents[2] / "sdk" / "src" / "faultbox_sdk"


def test_every_import_is_the_standard_library_or_the_sdk() -> None:
    outside: list[str] = []
    for path in sorted(SDK.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top != "faultbox_sdk" and top not in sys.stdlib_module_names:
                    outside.append(f"{path.name}: {name}")
    assert outside == []
    assert len(list(SDK.rglob("*.py"))) >= 10  # the walk really saw the package


def test_the_distribution_declares_no_dependencies() -> None:
    import tomllib

    project = tomllib.loads((SDK.parents[1] / "pyproject.toml").read_text())["project"]
    assert project["name"] == "faultbox-sdk" and project["dependencies"] == []
    assert project["requires-python"] == ">=3.9"
    assert (SDK / "py.typed").exists()
