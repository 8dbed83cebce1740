"""Errors the store raises for callers to turn into clear messages."""


class NotFound(LookupError):
    pass


class AlreadyExists(ValueError):
    pass
