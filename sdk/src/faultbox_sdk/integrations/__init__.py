"""Framework integrations of the error-handling kit.  Each module imports its framework
only when called, so the SDK installs and imports without any of them (the extras in
``sdk/pyproject.toml`` pull each one in)."""
