"""A credential holder that never prints its value."""

from __future__ import annotations


class Secret:
    """Holds a token; `repr`, `str` and f-strings show only a mask.

    Textual's crash traceback shows locals, and httpx masks only `Authorization`, so a
    token kept as a plain `str` ends up on screen. Call `reveal()` only where the request
    header is built (`tui.providers.transport`).
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The token itself, for the HTTP layer only."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")
