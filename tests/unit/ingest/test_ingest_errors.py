import pytest

from faultbox.ingest.errors import (
    BadRequest,
    Forbidden,
    IngestError,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedMediaType,
)


@pytest.mark.parametrize(
    ("cls", "status"),
    [
        (BadRequest, 400),
        (Unauthorized, 401),
        (Forbidden, 403),
        (PayloadTooLarge, 413),
        (UnsupportedMediaType, 415),
    ],
)
def test_status_and_detail(cls: type[IngestError], status: int) -> None:
    error = cls("why it failed")  # type: ignore[call-arg, arg-type]
    assert isinstance(error, IngestError)
    assert (error.status, error.detail, str(error)) == (status, "why it failed", "why it failed")
    assert repr(error) == f"{cls.__name__}({status}, 'why it failed')"


def test_base_class_takes_status() -> None:
    error = IngestError(429, "slow down")
    assert (error.status, error.detail) == (429, "slow down")
