"""Release ordering: semver when both parse (same package), else deploy/creation time."""

from __future__ import annotations

from itertools import zip_longest

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faultbox.lifecycle.releases import ReleaseInfo, compare, is_newer, oldest, parse_version

# -- a reference implementation of SemVer 2.0 precedence, written from the spec --------

numeric = st.integers(0, 10_000)
alnum_id = st.from_regex(r"\A[0-9A-Za-z-]*[A-Za-z-][0-9A-Za-z-]*\Z", fullmatch=True).filter(
    lambda s: len(s) <= 12
)
pre_id = st.one_of(numeric.map(str), alnum_id)
prerelease = st.lists(pre_id, min_size=0, max_size=3)
build = st.lists(st.from_regex(r"\A[0-9A-Za-z-]{1,6}\Z", fullmatch=True), max_size=2)
times = st.one_of(st.none(), st.floats(0, 2e9, allow_nan=False))


def _pre_cmp(a: list[str], b: list[str]) -> int:
    if not a or not b:  # a version without pre-release ranks above one with
        return (not a) - (not b)
    for x, y in zip_longest(a, b):
        if x is None or y is None:  # the longer list of equal prefix ranks higher
            return -1 if x is None else 1
        if x.isdigit() and y.isdigit():
            if int(x) != int(y):
                return -1 if int(x) < int(y) else 1
        elif x.isdigit() or y.isdigit():  # numeric identifiers rank below alphanumeric
            return -1 if x.isdigit() else 1
        elif x != y:
            return -1 if x < y else 1
    return 0


def _ref_cmp(a: tuple[int, int, int, list[str]], b: tuple[int, int, int, list[str]]) -> int:
    if a[:3] != b[:3]:
        return -1 if a[:3] < b[:3] else 1
    return _pre_cmp(a[3], b[3])


@st.composite
def semvers(draw: st.DrawFn) -> tuple[tuple[int, int, int, list[str]], str]:
    core = (draw(numeric), draw(numeric), draw(numeric))
    pre = draw(prerelease)
    text = ".".join(map(str, core))
    if pre:
        text += "-" + ".".join(pre)
    meta = draw(build)
    if meta:
        text += "+" + ".".join(meta)
    if draw(st.booleans()):
        text = "v" + text
    return (*core, pre), text


@given(semvers(), semvers(), times, times, st.sampled_from(["", "shop@", "@acme/web@"]))
def test_same_package_follows_semver_precedence(
    a: tuple[tuple[int, int, int, list[str]], str],
    b: tuple[tuple[int, int, int, list[str]], str],
    ta: float | None,
    tb: float | None,
    package: str,
) -> None:
    (ka, va), (kb, vb) = a, b
    expected = _ref_cmp(ka, kb)
    got = compare(ReleaseInfo(package + va, ta), ReleaseInfo(package + vb, tb))
    if expected:
        assert got == expected
    elif va == vb:
        assert got == 0
    else:  # equal precedence, spelled differently: the clock decides
        assert got == (None if ta is None or tb is None else (ta > tb) - (ta < tb))


version_text = st.one_of(
    semvers().map(lambda s: s[1]),
    st.text(min_size=1, max_size=20),
    st.sampled_from(["shop@1.0.0", "api@1.0.0", "a1b2c3d", "1234", "2024.05.01", "latest"]),
)
infos = st.builds(ReleaseInfo, version_text, times, times)


@given(infos, infos)
def test_antisymmetric(a: ReleaseInfo, b: ReleaseInfo) -> None:
    ab, ba = compare(a, b), compare(b, a)
    assert (ab is None) == (ba is None)
    if ab is not None and ba is not None:
        assert ab == -ba
    assert is_newer(a, b) == (ab == 1)


@given(infos)
def test_a_release_is_as_new_as_itself(a: ReleaseInfo) -> None:
    assert compare(a, a) == 0 and not is_newer(a, a)


same_package = st.builds(
    ReleaseInfo,
    semvers().map(lambda s: "shop@" + s[1]),
    st.floats(0, 2e9, allow_nan=False),
    times,
)


@given(same_package, same_package, same_package)
def test_transitive_within_a_package(a: ReleaseInfo, b: ReleaseInfo, c: ReleaseInfo) -> None:
    if compare(a, b) == -1 and compare(b, c) == -1:
        assert compare(a, c) == -1


not_semver = st.sampled_from(["a1b2c3d", "deadbeef", "release-blue", "1.2.3.4", "2024-05-01"])


@given(not_semver, not_semver, times, times, times, times)
def test_unparseable_versions_order_by_first_deploy_else_creation(
    va: str, vb: str, ca: float | None, cb: float | None, da: float | None, db: float | None
) -> None:
    a, b = ReleaseInfo(va, ca, da), ReleaseInfo(vb, cb, db)
    if va == vb:
        assert compare(a, b) == 0
        return
    ka = da if da is not None else ca
    kb = db if db is not None else cb
    assert compare(a, b) == (None if ka is None or kb is None else (ka > kb) - (ka < kb))


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("shop@1.4.2", "shop@1.10.0"),
        ("v2.0.0-rc.1", "2.0.0"),
        ("2.0.0-rc.1", "2.0.0-rc.2"),
        ("1.0.0-alpha.9", "1.0.0-alpha.10"),
        ("1.0.0-alpha", "1.0.0-alpha.beta"),
        ("1.4", "1.4.1"),
        ("99", "100"),
        ("@scope/web@1.0.0", "@scope/web@1.0.1"),
    ],
)
def test_semver_examples(older: str, newer: str) -> None:
    # The times say the opposite: semver wins when both parse.
    assert is_newer(ReleaseInfo(newer, 1.0), ReleaseInfo(older, 2.0))
    assert not is_newer(ReleaseInfo(older, 2.0), ReleaseInfo(newer, 1.0))


def test_build_metadata_and_other_packages_fall_back_to_time() -> None:
    assert is_newer(ReleaseInfo("1.4.2+build5", 2.0), ReleaseInfo("1.4.2+build6", 1.0))
    assert is_newer(ReleaseInfo("api@1.0.0", 2.0), ReleaseInfo("web@3.0.0", 1.0))
    # A deploy outranks the creation time; an unknown release cannot be ordered.
    assert is_newer(ReleaseInfo("abc", 1.0, 5.0), ReleaseInfo("def", 3.0))
    assert compare(ReleaseInfo("abc"), ReleaseInfo("def", 1.0)) is None


def test_parse_version() -> None:
    parsed = parse_version("shop@v1.4.2+build5")
    assert parsed is not None and parsed.package == "shop" and str(parsed.version) == "1.4.2+build5"
    assert parse_version("a1b2c3d") is None and parse_version("shop@") is None


def test_oldest_of_candidates() -> None:
    found = oldest([ReleaseInfo("1.3.0"), ReleaseInfo("1.1.0"), ReleaseInfo("1.2.0")])
    assert found is not None and found.version == "1.1.0"
    assert oldest([]) is None
