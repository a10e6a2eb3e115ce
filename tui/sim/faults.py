"""Faults the simulator injects on demand, per provider (names as agreed in interfaces.md).

The board is shared between the server thread and callers (tests, the admin endpoint),
so it is guarded by a lock. Body faults are pure transformations of the JSON the
provider would have sent, so a healed provider answers exactly as before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

PROVIDERS = ("zoo", "metafold", "lettrlabs", "hdrjpg")
FAULTS = (
    "latency",
    "hang",
    "reset",
    "http_401",
    "http_403",
    "http_404",
    "http_429",
    "http_500",
    "http_503",
    "html",
    "truncated_json",
    "malformed_json",
    "wrong_types",
    "unknown_enums",
    "hostile_strings",
    "repeating_token",
    "oversized",
)
OVERSIZED_BYTES = 11 * 1024 * 1024
PARAMS: dict[str, dict[str, tuple[float, float]]] = {
    "latency": {"seconds": (0.0, 120.0)},
    "http_429": {"retry_after": (0.0, 86_400.0)},
    "http_503": {"retry_after": (0.0, 86_400.0)},
}
"""The parameters each fault takes, with their bounds; the other faults take none. A value
must be a finite number in bounds: `latency` with `inf` would hang requests for ever."""

HOSTILE_STRINGS = (
    "[bold red]pwned[/bold red] part.step",
    "[@click=app.quit]click me[/]",
    "unbalanced [/x] closing tag",
    "[link=https://evil.example/]innocent.stl[/link]",
    "\x1b[2J\x1b[31mANSI clear-screen red\x1b[0m",
    "\x1b]8;;https://evil.example/\x1b\\osc8 link\x1b]8;;\x1b\\",
    "\x1b]52;c;cm0gLXJmIC8K\x07clipboard write",
    "\x1b]0;new window title\x07title",
    "c1 controls \x9b31m \x9d0;t\x9c here",
    "bidi \u202eexe.lmth\u202c override \u2066iso\u2069",
    "zero\u200bwidth\u200d\ufeffjoiners",
    "nul\x00byte",
    "multi\nline\r\nvalue\twith tabs\nthird line",
    "A" * 10_000,
    "line\u2028separator\u2029paragraph\x85nel\x0bvt\x0cff soft\u00adhyphen"
    " hangul\u3164filler \u2714\ufe0f tag\U000e0041\U000e007f thumb\U0001f44d\U0001f3fd",
)
"""Markup, ANSI CSI, OSC 8/52/0, C1, bidi, zero-width, NUL, multi-line and 10,000 chars,
and characters that Rich and terminals measure differently or that break a line (line and
paragraph separators, NEL, soft hyphen, Hangul filler, variation selector, tags, skin-tone
modifier). Lone surrogates are left out: the simulator's UTF-8 body cannot hold one."""

HOSTILE_KEYS = frozenset(
    {
        "name",
        "file_path",
        "fileName",
        "sourceImageFileName",
        "outputImageFileName",
        "error",
        "failDescriptions",
        "warningDescriptions",
        "status_message",
        "message",
        "description",
        "filename",
        "prompt",
        "errors",
        "warnings",
        "company",
        "email",
        "firstName",
        "lastName",
        "worker",
        "last_sync_error",
    }
)
UNKNOWN_ENUMS = {
    "status": {
        "zoo": "on_hold",
        "metafold": "suspended",
        "lettrlabs": "Quarantined",
        "hdrjpg": "Throttled",
    },
    "state": {"metafold": "suspended"},
    "phase": {"zoo": "quantum_refinement"},
    "step": {"hdrjpg": "Polishing"},
    "type": {"zoo": "file_teleport", "metafold": "implicit/hyperspace"},
    "format": {"hdrjpg": "jpeg-2000"},
}


class FaultError(ValueError):
    """A fault spec that cannot be understood."""


def _value(text: str) -> object:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def parse_fault_spec(spec: str) -> tuple[str, str, dict[str, object]]:
    """Parse `provider:fault[:key=value,...]` (the `--fault` syntax).

    Raises:
        FaultError: unknown provider or fault, or a malformed parameter.
    """
    parts = spec.split(":")
    if len(parts) < 2:
        raise FaultError(f"fault spec must be provider:fault[:k=v], got {spec!r}")
    provider, fault = parts[0].strip().lower(), parts[1].strip().lower()
    params: dict[str, object] = {}
    for chunk in ":".join(parts[2:]).split(","):
        if not chunk.strip():
            continue
        key, sep, raw = chunk.partition("=")
        if not sep or not key.strip():
            raise FaultError(f"fault parameter must be key=value, got {chunk!r}")
        params[key.strip()] = _value(raw.strip())
    check(provider, fault)
    check_params(fault, params)
    return provider, fault, params


def check_params(fault: str, params: dict[str, object]) -> None:
    """Raise FaultError unless every parameter is one `fault` takes, a finite number in bounds."""
    allowed = PARAMS.get(fault, {})
    for key, value in params.items():
        if key not in allowed:
            takes = ", ".join(allowed) or "no parameters"
            raise FaultError(f"fault {fault!r} takes {takes}, not {key!r}")
        low, high = allowed[key]
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not low <= value <= high:  # type: ignore[operator]
            raise FaultError(f"{fault} {key} must be a number from {low:g} to {high:g}")


def check(provider: str, fault: str) -> None:
    """Raise FaultError unless `provider` (or "all") and `fault` are known."""
    if provider != "all" and provider not in PROVIDERS:
        raise FaultError(
            f"unknown provider {provider!r}; expected one of {', '.join(PROVIDERS)} or all"
        )
    if fault not in FAULTS:
        raise FaultError(f"unknown fault {fault!r}; expected one of {', '.join(FAULTS)}")


class FaultBoard:
    """The active faults: provider -> fault name -> params."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, dict[str, dict[str, object]]] = {p: {} for p in PROVIDERS}
        self.version = 0
        """Bumped on every change, so a hung request can notice it was healed."""

    def set(self, provider: str, fault: str, **params: object) -> None:
        """Turn a fault on ("all" = every provider); replaces the same fault's params."""
        check(provider, fault)
        check_params(fault, params)
        with self._lock:
            for name in PROVIDERS if provider == "all" else (provider,):
                self._faults[name][fault] = dict(params)
            self.version += 1

    def clear(self, provider: str | None = None) -> None:
        """Heal one provider, or all of them."""
        if provider not in (None, "all") and provider not in PROVIDERS:
            raise FaultError(f"unknown provider {provider!r}")
        with self._lock:
            for name in PROVIDERS if provider in (None, "all") else (provider,):
                self._faults[name] = {}
            self.version += 1

    def active(self, provider: str) -> dict[str, dict[str, object]]:
        """A copy of one provider's faults."""
        with self._lock:
            return {k: dict(v) for k, v in self._faults[provider].items()}

    def has(self, provider: str, fault: str) -> bool:
        """Whether a fault is on."""
        with self._lock:
            return fault in self._faults[provider]

    def snapshot(self) -> dict[str, dict[str, dict[str, object]]]:
        """Every provider's faults (for `GET /_admin/faults`)."""
        with self._lock:
            return {p: {k: dict(v) for k, v in f.items()} for p, f in self._faults.items()}

    def load(self, specs: Iterable[str]) -> None:
        """Apply `--fault` specs."""
        for spec in specs:
            provider, fault, params = parse_fault_spec(spec)
            self.set(provider, fault, **params)


def wrong_types(value: Any, depth: int = 0) -> Any:
    """Same keys, wrong JSON types: strings become numbers, numbers strings, and so on.

    The top two levels keep their container types so a client reaches the items.
    """
    if isinstance(value, dict):
        if depth >= 3:
            return "object"
        return {k: wrong_types(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        if depth >= 3:
            return {"0": "list"}
        return [wrong_types(v, depth + 1) for v in value]
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return 12345
    return ["null"]


def unknown_enums(value: Any, provider: str) -> Any:
    """Replace status/phase/state/step/type values with words no spec lists."""
    if isinstance(value, list):
        return [unknown_enums(v, provider) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            swap = UNKNOWN_ENUMS.get(k, {}).get(provider)
            out[k] = swap if swap is not None and isinstance(v, str) else unknown_enums(v, provider)
        return out
    return value


def hostile(value: Any, counter: list[int] | None = None) -> Any:
    """Replace human-readable strings (names, errors, file names, messages) with hostile ones."""
    counter = counter if counter is not None else [0]

    def next_string() -> str:
        text = HOSTILE_STRINGS[counter[0] % len(HOSTILE_STRINGS)]
        counter[0] += 1
        return text

    if isinstance(value, list):
        return [hostile(v, counter) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for k, v in value.items():
        if k in HOSTILE_KEYS and (isinstance(v, str) or v is None):
            out[k] = next_string()
        elif k in HOSTILE_KEYS and isinstance(v, list):
            out[k] = [next_string(), next_string()]
        else:
            out[k] = hostile(v, counter)
    return out


def oversized(value: Any) -> Any:
    """The same JSON with a padding field that makes the body larger than 10 MB."""
    pad = "x" * OVERSIZED_BYTES
    if isinstance(value, dict):
        return {**value, "padding": pad}
    if isinstance(value, list):
        return [*value, {"id": "padding", "name": pad}]
    return {"value": value, "padding": pad}
