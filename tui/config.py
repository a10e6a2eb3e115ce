"""The validated settings object: TOML file, environment and command line, merged once.

Where the file is found: `--config PATH`, else `$JOBTOP_CONFIG`, else
`<user config dir>/jobtop/config.toml` (platformdirs). Precedence for every setting:
command line > environment > file > defaults. A bad file is refused with one sentence
naming the file, the key and what is wrong (`ConfigError`).
"""

from __future__ import annotations

import ipaddress
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tui.accounts import AccountConfig as AccountConfig  # re-exported: the settings hold them
from tui.errors import ConfigError
from tui.image_protocol import ImageProtocol, parse_image_protocol
from tui.logfile import parse_level
from tui.models import ProviderName
from tui.providers.registry import all_specs, find_spec, id_list, option_keys, spec_for
from tui.secret import Secret

DEFAULT_REFRESH = 5.0
MIN_REFRESH = 0.5

_ACCOUNT_KEYS = frozenset(
    {
        "name",
        "provider",
        "base_url",
        "token_env",
        "token",
        "track",
        "refresh",
        "full_listing_minutes",
    }
)
"""The keys every account has; each provider adds its own (`ProviderSpec.option_keys`)."""
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
"""An environment variable name as shells accept it."""
_SECRET_PREFIXES = (
    "sk_",
    "pk_",
    "rk_",
    "ghp_",
    "gho_",
    "ghs_",
    "ghu_",
    "github_pat_",
    "xox",
    "eyJ",
)
"""How common API tokens start (case matters): such a value is never a variable's name."""
_TOP_KEYS = {
    "refresh",
    "bell",
    "low_bandwidth",
    "image_protocol",
    "theme",
    "log_file",
    "notifications",
    "account",
}
_NOTIFICATION_KEYS = {"jobs"}
NOTIFY_STATES = ("failed", "succeeded", "canceled")
"""The endings a notification rule can name (`[notifications] jobs`)."""
DEFAULT_NOTIFY = frozenset({"failed"})
"""Only failures raise a notification unless the config (or `n`) says otherwise."""
_IMAGE_PROTOCOLS = ", ".join(protocol.value for protocol in ImageProtocol)
THEME_NAMES = ("dark", "light")
"""The dashboard's themes (`tui.theme`: jobtop-dark and jobtop-light)."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything jobtop was configured with, built once in `cli.py`."""

    accounts: tuple[AccountConfig, ...] = ()
    refresh: float = DEFAULT_REFRESH
    """Seconds between refreshes of one source."""
    bell: bool = False
    """Ring the terminal bell with each job notification (it follows `notify`)."""
    notify: frozenset[str] = DEFAULT_NOTIFY
    """Which job endings raise a notification (of `NOTIFY_STATES`); `n` cycles them."""
    low_bandwidth: bool = False
    """Lower frame rate, no animations, slower age updates."""
    image_protocol: ImageProtocol = ImageProtocol.AUTO
    """How snapshot images are drawn; `tui.dashboard` resolves AUTO before the app starts."""
    theme: str = "dark"
    """One of `THEME_NAMES`."""
    log_file: Path | None = None
    """Where to log; None logs nowhere unless `log_level` is set (then the state dir)."""
    log_level: str | None = None
    """debug, info or warning; None is info when `log_file` is set, else no log."""
    config_path: Path | None = None
    """The file the settings came from, if any."""
    demo: bool = False

    def account(self, name: str) -> AccountConfig:
        """The account called `name`.

        Raises:
            ConfigError: No account has that name.
        """
        for account in self.accounts:
            if account.name == name:
                return account
        known = ", ".join(a.name for a in self.accounts) or "none"
        raise ConfigError(f"no account named {name!r} (configured: {known})")


@dataclass(frozen=True, slots=True)
class Overrides:
    """Settings given on the command line or by environment (None: not given)."""

    refresh: float | None = None
    bell: bool | None = None
    low_bandwidth: bool | None = None
    image_protocol: ImageProtocol | None = None
    theme: str | None = None
    log_file: Path | None = None
    log_level: str | None = None


def find_config_file(cli_path: str | None, environ: Mapping[str, str]) -> tuple[Path, bool]:
    """Which config file to read, and whether the user named it explicitly.

    Returns:
        (path, explicit): explicit is True for `--config` and `JOBTOP_CONFIG`, whose
        file must exist; the default location may be absent.
    """
    if cli_path:
        return Path(cli_path).expanduser(), True
    env_path = environ.get("JOBTOP_CONFIG")
    if env_path:
        return Path(env_path).expanduser(), True
    from tui.paths import user_config_file

    return user_config_file(), False


def env_overrides(environ: Mapping[str, str]) -> Overrides:
    """`JOBTOP_REFRESH`, `JOBTOP_BELL`, `JOBTOP_LOW_BANDWIDTH`, `JOBTOP_IMAGE_PROTOCOL`,
    `JOBTOP_THEME` and `JOBTOP_LOG` (a log level)."""
    refresh = None
    raw_refresh = environ.get("JOBTOP_REFRESH")
    if raw_refresh:
        try:
            refresh = float(raw_refresh)
        except ValueError:
            raise ConfigError(
                f"JOBTOP_REFRESH must be a number of seconds, not {raw_refresh!r}"
            ) from None
    return Overrides(
        refresh=refresh,
        bell=_env_flag(environ, "JOBTOP_BELL"),
        low_bandwidth=_env_flag(environ, "JOBTOP_LOW_BANDWIDTH"),
        image_protocol=env_image_protocol(environ),
        theme=env_theme(environ),
        log_level=env_log_level(environ),
    )


def env_theme(environ: Mapping[str, str]) -> str | None:
    """`JOBTOP_THEME`, or None when unset.

    Raises:
        ConfigError: The value names no theme.
    """
    raw = environ.get("JOBTOP_THEME")
    return check_theme(raw, "JOBTOP_THEME") if raw else None


def env_log_level(environ: Mapping[str, str]) -> str | None:
    """`JOBTOP_LOG` (debug, info or warning), or None when unset.

    Raises:
        ConfigError: The value names no level.
    """
    raw = environ.get("JOBTOP_LOG")
    return parse_level(raw, "JOBTOP_LOG") if raw else None


def check_theme(value: object, where: str) -> str:
    """`value` as one of `THEME_NAMES`.

    Raises:
        ConfigError: It names no theme.
    """
    if isinstance(value, str) and value.strip().lower() in THEME_NAMES:
        return value.strip().lower()
    shown = repr(value)[:40]
    raise ConfigError(f"{where} must be one of {', '.join(THEME_NAMES)}, not {shown}")


def env_image_protocol(environ: Mapping[str, str]) -> ImageProtocol | None:
    """`JOBTOP_IMAGE_PROTOCOL`, or None when unset.

    Raises:
        ConfigError: The value names no protocol.
    """
    raw = environ.get("JOBTOP_IMAGE_PROTOCOL")
    if not raw:
        return None
    try:
        return parse_image_protocol(raw)
    except ValueError:
        raise ConfigError(
            f"JOBTOP_IMAGE_PROTOCOL must be one of {_IMAGE_PROTOCOLS}, not {raw!r}"
        ) from None


def _env_flag(environ: Mapping[str, str], name: str) -> bool | None:
    raw = environ.get(name)
    if raw is None or raw == "":
        return None
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def load_settings(
    cli_path: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cli: Overrides | None = None,
) -> Settings:
    """Find, read and validate the config, then apply env and CLI overrides.

    Returns:
        The settings; `accounts` is empty when there is no config file at all.

    Raises:
        ConfigError: The file is missing (when named explicitly), unreadable or invalid.
    """
    environ = os.environ if environ is None else environ
    path, explicit = find_config_file(cli_path, environ)
    if path.exists():
        settings = parse_config_file(path, environ)
    elif explicit:
        raise ConfigError(f"{path}: the config file does not exist")
    else:
        settings = Settings()
    return apply_overrides(settings, env_overrides(environ), cli or Overrides())


def apply_overrides(settings: Settings, *layers: Overrides) -> Settings:
    """Apply override layers in order (later wins): env first, then CLI."""
    for layer in layers:
        if layer.refresh is not None:
            settings = replace(settings, refresh=_check_refresh(layer.refresh, "--interval"))
        if layer.bell is not None:
            settings = replace(settings, bell=layer.bell)
        if layer.low_bandwidth is not None:
            settings = replace(settings, low_bandwidth=layer.low_bandwidth)
        if layer.image_protocol is not None:
            settings = replace(settings, image_protocol=layer.image_protocol)
        if layer.theme is not None:
            settings = replace(settings, theme=layer.theme)
        if layer.log_file is not None:
            settings = replace(settings, log_file=layer.log_file)
        if layer.log_level is not None:
            settings = replace(settings, log_level=layer.log_level)
    return settings


def _check_refresh(value: float, where: str) -> float:
    if not (value >= MIN_REFRESH) or value > 86_400:
        raise ConfigError(f"{where} must be between {MIN_REFRESH} and 86400 seconds, not {value}")
    return float(value)


def parse_config_file(path: Path, environ: Mapping[str, str]) -> Settings:
    """Read and validate one TOML config file.

    Raises:
        ConfigError: One sentence naming the file, the key and what is wrong.
    """
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        data = tomllib.loads(raw_bytes.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: is not valid TOML ({exc})") from None
    return parse_config(data, path=path, environ=environ)


def parse_config(
    data: Mapping[str, Any], *, path: Path | None = None, environ: Mapping[str, str]
) -> Settings:
    """Validate decoded TOML into `Settings` (see `parse_config_file`)."""
    where = str(path) if path else "config"

    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(f"{where}: {key} {problem}")

    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise fail(
            sorted(unknown)[0], f"is not a known setting (known: {', '.join(sorted(_TOP_KEYS))})"
        )
    refresh = data.get("refresh", DEFAULT_REFRESH)
    if isinstance(refresh, bool) or not isinstance(refresh, int | float):
        raise fail("refresh", "must be a number of seconds")
    if not (refresh >= MIN_REFRESH) or refresh > 86_400:
        raise fail("refresh", f"must be between {MIN_REFRESH} and 86400 seconds")
    bell = data.get("bell", False)
    low_bandwidth = data.get("low_bandwidth", False)
    for key, value in (("bell", bell), ("low_bandwidth", low_bandwidth)):
        if not isinstance(value, bool):
            raise fail(key, "must be true or false")
    raw_protocol = data.get("image_protocol", ImageProtocol.AUTO.value)
    try:
        if not isinstance(raw_protocol, str):
            raise ValueError(raw_protocol)
        image_protocol = parse_image_protocol(raw_protocol)
    except ValueError:
        raise fail("image_protocol", f"must be one of {_IMAGE_PROTOCOLS}") from None
    theme = check_theme(data.get("theme", "dark"), f"{where}: theme")
    log_file = data.get("log_file")
    if log_file is not None:
        if not isinstance(log_file, str) or not log_file.strip():
            raise fail("log_file", "must be the path of a file")
        log_file = Path(log_file).expanduser()
        if path is not None and not log_file.is_absolute():
            log_file = path.parent / log_file
    notify = _parse_notifications(data.get("notifications", {}), fail)
    raw_accounts = data.get("account", [])
    if not isinstance(raw_accounts, list):
        raise fail("account", "must be an array of tables ([[account]])")
    accounts: list[AccountConfig] = []
    for index, raw in enumerate(raw_accounts):
        if not isinstance(raw, dict):
            raise fail(f"account[{index}]", "must be a table")
        account = _parse_account(raw, index, path, environ, fail)
        if any(a.name == account.name for a in accounts):
            raise fail(f"account[{index}].name", f"{account.name!r} is used by two accounts")
        accounts.append(account)
    return Settings(
        accounts=tuple(accounts),
        refresh=float(refresh),
        bell=bell,
        low_bandwidth=low_bandwidth,
        image_protocol=image_protocol,
        theme=theme,
        log_file=log_file,
        config_path=path,
        notify=notify,
    )


def _parse_notifications(raw: object, fail: Any) -> frozenset[str]:
    """The `[notifications]` table: `jobs`, the endings that raise a notification."""
    if not isinstance(raw, dict):
        raise fail("notifications", "must be a table ([notifications])")
    unknown = set(raw) - _NOTIFICATION_KEYS
    if unknown:
        known = ", ".join(sorted(_NOTIFICATION_KEYS))
        raise fail(
            f"notifications.{sorted(unknown)[0]}", f"is not a known setting (known: {known})"
        )
    jobs = raw.get("jobs", sorted(DEFAULT_NOTIFY))
    choices = ", ".join(NOTIFY_STATES)
    if not isinstance(jobs, list) or not all(isinstance(state, str) for state in jobs):
        raise fail("notifications.jobs", f"must be a list of job endings ({choices}), or []")
    wrong = [state for state in jobs if state not in NOTIFY_STATES]
    if wrong:
        raise fail("notifications.jobs", f"{wrong[0][:40]!r} is not one of {choices}")
    return frozenset(jobs)


def _parse_account(
    raw: Mapping[str, Any],
    index: int,
    path: Path | None,
    environ: Mapping[str, str],
    fail: Any,
) -> AccountConfig:
    prefix = f"account[{index}]"
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise fail(f"{prefix}.name", "is required and must be a non-empty string")
    if len(name) > 64 or any(ch.isspace() or not ch.isprintable() for ch in name):
        raise fail(f"{prefix}.name", "must be at most 64 printable characters without spaces")
    prefix = f"account {name!r}"
    account_keys = _ACCOUNT_KEYS | option_keys()
    unknown = set(raw) - account_keys
    if unknown:
        known = ", ".join(sorted(account_keys))
        raise fail(
            f"{prefix}.{sorted(unknown)[0]}", f"is not a known account setting (known: {known})"
        )
    provider_raw = raw.get("provider")
    spec = find_spec(provider_raw) if isinstance(provider_raw, str) else None
    if spec is None:
        known = ", ".join(spec.name for spec in all_specs())
        raise fail(f"{prefix}.provider", f"{provider_raw!r} is not a provider (one of: {known})")
    base_url = raw.get("base_url", spec.default_base_url)
    if not isinstance(base_url, str):
        raise fail(f"{prefix}.base_url", "must be a string")
    problem = base_url_problem(base_url)
    if problem:
        raise fail(f"{prefix}.base_url", problem)
    token: Secret | None = None
    token_env = raw.get("token_env")
    if token_env is not None and not is_env_name(token_env):
        # Never quoted: what is pasted here by mistake is usually the token itself.
        raise fail(
            f"{prefix}.token_env",
            "must name the environment variable that holds the token (such as"
            " ZOO_API_TOKEN), not the token itself; the value is not shown",
        )
    if "token" in raw:
        literal = raw["token"]
        if not isinstance(literal, str) or not literal:
            raise fail(f"{prefix}.token", "must be a non-empty string")
        if path is not None and not _readable_by_owner_only(path):
            raise fail(
                f"{prefix}.token",
                f"is a literal token in a file others can read; run `chmod 600 {path}` "
                "or use token_env instead",
            )
        token = Secret(literal)
    elif token_env:
        value = environ.get(token_env)
        token = Secret(value) if value else None

    def fail_key(key: str, problem: str) -> ConfigError:
        error: ConfigError = fail(f"{prefix}.{key}", problem)
        return error

    options = spec.parse_options(raw, fail_key)
    track = id_list(raw, "track", fail_key, ())
    refresh = raw.get("refresh")
    if refresh is not None:
        if isinstance(refresh, bool) or not isinstance(refresh, int | float):
            raise fail(f"{prefix}.refresh", "must be a number of seconds")
        if not (refresh >= MIN_REFRESH):
            raise fail(f"{prefix}.refresh", f"must be at least {MIN_REFRESH} seconds")
        refresh = float(refresh)
    full_listing = raw.get("full_listing_minutes", 10.0)
    if isinstance(full_listing, bool) or not isinstance(full_listing, int | float):
        raise fail(f"{prefix}.full_listing_minutes", "must be a number of minutes")
    if not (0 <= full_listing <= 1440):
        raise fail(f"{prefix}.full_listing_minutes", "must be between 0 and 1440 minutes")
    return AccountConfig(
        name=name,
        provider=spec.name,
        base_url=base_url.rstrip("/"),
        token=token,
        token_env=token_env,
        track=track,
        refresh=refresh,
        full_listing_minutes=float(full_listing),
        options=options,
    )


def _readable_by_owner_only(path: Path) -> bool:
    try:
        info = path.stat()
    except OSError:
        return False
    return not (info.st_mode & (stat.S_IRWXG | stat.S_IRWXO)) and info.st_uid == os.getuid()


def is_env_name(value: object) -> bool:
    """True for a string that can name an environment variable and does not look like a
    token pasted in its place: a known token prefix, or 20 characters or more with four
    digits or more that are mixed-case or have no underscore (names rarely are)."""
    if not isinstance(value, str) or not _ENV_NAME.fullmatch(value):
        return False
    if value.startswith(_SECRET_PREFIXES):
        return False
    digits = sum(c.isdigit() for c in value)
    mixed = any(c.islower() for c in value) and any(c.isupper() for c in value)
    return not (len(value) >= 20 and digits >= 4 and (mixed or "_" not in value))


def _shown_url(url: str) -> str:
    """The URL as an error may quote it: any user name and password replaced by `***`."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rpartition("@")[2]
    return f"{scheme}{sep}{authority}{slash}{path}"[:200]


def base_url_problem(url: str) -> str | None:
    """Why a base URL is refused, or None: https anywhere, http only on loopback.

    The URL is quoted with any user name and password masked (`_shown_url`), and the
    port must be a number from 1 to 65535 (`urlsplit` parses `:80:90` or `:99999` and
    fails only when the port is read, at the first request).
    """
    shown = _shown_url(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return f"{shown!r} is not a URL with a valid port (a number from 1 to 65535)"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{shown!r} must be an https:// URL"
    if parts.username or parts.password:
        return "must not carry a user name or password; use token_env"
    if port == 0:
        return f"{shown!r} has port 0; give a port from 1 to 65535"
    if parts.query or parts.fragment:
        return "must not have a query string or fragment"
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return f"uses http:// to {parts.hostname}, which is not loopback; use https://"
    return None


def is_loopback_host(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def demo_settings(
    sim_url: str, *, refresh: float = 2.0, track: Mapping[str, tuple[str, ...]] | None = None
) -> Settings:
    """Settings for `--demo`: one account per built-in provider against the simulator."""
    track = track or {}
    accounts = tuple(
        AccountConfig(
            name=f"demo-{provider.value}",
            provider=provider,
            base_url=f"{sim_url.rstrip('/')}/{provider.value}",
            token=Secret("demo-token"),
            track=track.get(provider.value, ()),
        )
        for provider in ProviderName
    )
    return Settings(accounts=accounts, refresh=refresh, demo=True)


def account_config(
    *,
    name: str,
    provider: str,
    base_url: str,
    token: Secret | None = None,
    token_env: str | None = None,
    track: tuple[str, ...] = (),
    refresh: float | None = None,
    full_listing_minutes: float = 10.0,
    **options: Any,
) -> AccountConfig:
    """An account built in code, its provider's own keys (`ProviderSpec.option_keys`)
    given as keyword arguments and read by the provider's options parser as from a file.

    Raises:
        TypeError: A keyword is none of the provider's keys.
        ConfigError: A value is wrong.
    """
    spec = spec_for(provider)
    unknown = set(options) - spec.option_keys
    if unknown:
        raise TypeError(f"{sorted(unknown)[0]!r} is not a setting of a {spec.title} account")

    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(f"account {name!r}.{key} {problem}")

    return AccountConfig(
        name=name,
        provider=spec.name,
        base_url=base_url,
        token=token,
        token_env=token_env,
        track=track,
        refresh=refresh,
        full_listing_minutes=full_listing_minutes,
        options=spec.parse_options(options, fail),
    )
