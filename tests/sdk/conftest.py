"""Each SDK test starts without a global client and with an empty global scope."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import faultbox_sdk
from faultbox_sdk.scope import reset_global_scope


@pytest.fixture(autouse=True)
def _fresh_sdk() -> Iterator[None]:
    faultbox_sdk.close(timeout=1)
    reset_global_scope()
    yield
    faultbox_sdk.close(timeout=1)
    reset_global_scope()
