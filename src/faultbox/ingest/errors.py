"""Errors raised by the pure ingest modules; the HTTP edge maps them to responses.

IngestError (status, detail)
├── BadRequest            400
├── Unauthorized          401
├── Forbidden             403
├── PayloadTooLarge       413
└── UnsupportedMediaType  415
"""

from __future__ import annotations


class IngestError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.status}, {self.detail!r})"


class BadRequest(IngestError):
    def __init__(self, detail: str) -> None:
        super().__init__(400, detail)


class Unauthorized(IngestError):
    def __init__(self, detail: str) -> None:
        super().__init__(401, detail)


class Forbidden(IngestError):
    def __init__(self, detail: str) -> None:
        super().__init__(403, detail)


class PayloadTooLarge(IngestError):
    def __init__(self, detail: str) -> None:
        super().__init__(413, detail)


class UnsupportedMediaType(IngestError):
    def __init__(self, detail: str) -> None:
        super().__init__(415, detail)
