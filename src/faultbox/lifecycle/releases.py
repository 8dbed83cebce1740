"""Which of two releases is newer: what regression detection asks.

Semantic versioning when both versions parse, else by time (the first deploy, or
when there is none, when Faultbox first heard of the release), as Sentry orders them.

Versions are read the way SDKs send them: ``shop@1.4.2`` (a package prefix, the
last ``@``, so ``@scope/web@2.0.0`` works too), ``v2.0.0-rc.1``, ``1.4.2+build5``,
``1.4`` (minor and patch may be left out; a bare build number ``1234`` then counts
as 1234.0.0). Semver only orders versions of the same package: ``web@2.0`` against
``api@1.5`` falls back to time. Two versions equal in semver precedence but spelled
differently (build metadata, ``v1.0.0`` against ``1.0.0``) are ordered by time too:
semver says neither is newer, the clock does.

Time keys make one total order; semver orders the parseable releases of a package
lexicographically with time as the tie-break, so within one package the order is
total as well. Across the two kinds it is only pairwise (a parseable and an
unparseable version compare by time), which is all a "newer than R?" check needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

# python-semver implements the SemVer 2.0 precedence rules (pre-release identifiers
# compared numerically or lexically, build metadata ignored) that a hand-rolled
# tuple comparison gets wrong; it is small, pure Python, typed and well kept.
from semver import Version


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    version: str
    created_at: float | None = None  # None: Faultbox has no row for it
    first_deploy: float | None = None

    @property
    def time_key(self) -> float | None:
        return self.first_deploy if self.first_deploy is not None else self.created_at


@dataclass(frozen=True, slots=True)
class ParsedVersion:
    package: str | None
    version: Version


@lru_cache(maxsize=4096)
def parse_version(version: str) -> ParsedVersion | None:
    """The package and semantic version, or None when the version is not semver."""
    package, at, rest = version.strip().rpartition("@")
    if not at:
        package, rest = "", version.strip()
    if rest[:1] in ("v", "V"):
        rest = rest[1:]
    try:
        parsed = Version.parse(rest, optional_minor_and_patch=True)
    except (ValueError, TypeError):
        return None
    return ParsedVersion(package or None, parsed)


def compare(a: ReleaseInfo, b: ReleaseInfo) -> int | None:
    """-1, 0 or 1 as ``a`` is older than, as new as, or newer than ``b``; None when
    they cannot be ordered (not semver, and one has no known time)."""
    if a.version == b.version:
        return 0
    pa, pb = parse_version(a.version), parse_version(b.version)
    if pa is not None and pb is not None and pa.package == pb.package:
        by_semver = pa.version.compare(pb.version)
        if by_semver:
            return by_semver
    ta, tb = a.time_key, b.time_key
    if ta is None or tb is None:
        return None
    return (ta > tb) - (ta < tb)


def is_newer(a: ReleaseInfo, b: ReleaseInfo) -> bool:
    """True only when ``a`` is known to be newer than ``b``."""
    return compare(a, b) == 1


def oldest(candidates: list[ReleaseInfo]) -> ReleaseInfo | None:
    """The release that no other candidate is known to be older than (the first
    one given wins ties and unorderable pairs)."""
    best: ReleaseInfo | None = None
    for info in candidates:
        if best is None or compare(info, best) == -1:
            best = info
    return best
