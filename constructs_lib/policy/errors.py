"""The one error type bad configuration raises, so users can catch it and CI can print it."""

from __future__ import annotations

from collections.abc import Iterable


class ConfigurationError(ValueError):
    """Bad input, found at synth time before anything deploys.

    The message always names the field, the value given and what is allowed.
    """

    def __init__(self, field: str, value: object, allowed: str | Iterable[str]) -> None:
        allowed_text = allowed if isinstance(allowed, str) else ", ".join(sorted(allowed))
        self.field = field
        self.value = value
        self.allowed = allowed_text
        super().__init__(f"{field}={value!r} is not allowed: {allowed_text}")
