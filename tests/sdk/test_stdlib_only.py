"""The SDK's core imports the standard library and itself, nothing else (not even the
server's package): it installs into any application without pulling anything in.

The error-handling kit's framework pieces (``integrations/``, ``resilience.py``) import
their framework or library inside functions only, each one declared as an extra."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

SDK = Path(__file__).resolve().parents[2] / "sdk" / "src" / "faultbox_sdk"
# What each optional module may import when called (the extras in sdk/pyproject.toml).
OPTIONAL = {
    "integrations/asgi.py": {"starlette", "fastapi"},
    "integrations/wsgi.py": {"flask"},
    "integrations/django.py": {"django"},
    "resilience.py": {"tenacity", "pybreaker"},
}


def _imports(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []


def test_every_import_is_the_standard_library_or_the_sdk() -> None:
    outside: list[str] = []
    for path in sorted(SDK.rglob("*.py")):
        relative = path.relative_to(SDK).as_posix()
        tree = ast.parse(path.read_text())
        top_level = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            for name in _imports(node):
                top = name.split(".")[0]
                if top == "faultbox_sdk" or top in sys.stdlib_module_names:
                    continue
                if id(node) not in top_level and top in OPTIONAL.get(relative, set()):
                    continue  # imported when called, from a declared extra
                outside.append(f"{relative}: {name}")
    assert outside == []
    assert len(list(SDK.rglob("*.py"))) >= 10  # the walk really saw the package


def test_every_module_imports_with_no_framework_installed() -> None:
    script = textwrap.dedent(
        """
        import sys
        for name in ("starlette", "fastapi", "flask", "werkzeug", "django", "tenacity",
                     "pybreaker"):
            sys.modules[name] = None  # an import of it now fails
        import importlib, pkgutil, faultbox_sdk, faultbox_sdk.integrations
        for package in (faultbox_sdk, faultbox_sdk.integrations):
            for mod in pkgutil.iter_modules(package.__path__):
                importlib.import_module(package.__name__ + "." + mod.name)
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_the_distribution_declares_no_dependencies() -> None:
    import tomllib

    project = tomllib.loads((SDK.parents[1] / "pyproject.toml").read_text())["project"]
    assert project["name"] == "faultbox-sdk" and project["dependencies"] == []
    assert project["requires-python"] == ">=3.9"
    assert (SDK / "py.typed").exists()
    extras = project["optional-dependencies"]
    assert set(extras) == {"asgi", "flask", "django", "resilience"}
    declared = {req.split(">")[0].split("<")[0] for reqs in extras.values() for req in reqs}
    assert declared == {"starlette", "flask", "django", "tenacity", "pybreaker"}
    assert all("<" in req and ">=" in req for reqs in extras.values() for req in reqs)
