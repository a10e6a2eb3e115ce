"""Config: where it is found, precedence, and one-sentence refusals that name the key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tui.config import Overrides, base_url_problem, load_settings
from tui.errors import ConfigError
from tui.models import ProviderName
from tui.providers.zoo.options import ZooOptions
from tui.secret import Secret

GOOD = """
refresh = 7

[[account]]
name = "zoo-prod"
provider = "zoo"
token_env = "ZOO_API_TOKEN"
async_operations = "tracked"
datasets = ["all"]

[[account]]
name = "hdr"
provider = "hdrjpg"
token_env = "HDRJPG_API_KEY"
track = ["88667411-3fb9-4c92-8488-8e277aed3021"]
"""


def write(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_good_file(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    settings = load_settings(str(path), environ={"ZOO_API_TOKEN": "zt-123"})
    assert settings.refresh == 7
    zoo, hdr = settings.accounts
    assert zoo.provider is ProviderName.ZOO and zoo.base_url == "https://api.zoo.dev"
    assert (
        zoo.token == Secret("zt-123") and zoo.options_as(ZooOptions).async_operations == "tracked"
    )
    assert hdr.token is None and hdr.track == ("88667411-3fb9-4c92-8488-8e277aed3021",)
    assert hdr.base_url == "https://api.hdrjpg.com"


def test_precedence_cli_over_env_over_file_over_default(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    assert load_settings(str(path), environ={}).refresh == 7
    assert load_settings(str(path), environ={"JOBTOP_REFRESH": "9"}).refresh == 9
    cli = Overrides(refresh=3)
    assert load_settings(str(path), environ={"JOBTOP_REFRESH": "9"}, cli=cli).refresh == 3
    empty = write(tmp_path, "")
    assert load_settings(str(empty), environ={}).refresh == 5


def test_file_found_through_env_then_user_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, GOOD)
    assert load_settings(None, environ={"JOBTOP_CONFIG": str(path)}).config_path == path
    user_file = Path(os.environ["XDG_CONFIG_HOME"]) / "jobtop" / "config.toml"
    user_file.parent.mkdir(parents=True)
    user_file.write_text("refresh = 11\n")
    assert load_settings(None, environ={}).refresh == 11
    assert load_settings(None, environ={}).config_path == user_file


def test_no_file_at_all_gives_no_accounts() -> None:
    assert load_settings(None, environ={}).accounts == ()


def refusal(
    tmp_path: Path, text: str, mode: int = 0o600, environ: dict[str, str] | None = None
) -> str:
    path = write(tmp_path, text, mode)
    with pytest.raises(ConfigError) as caught:
        load_settings(str(path), environ=environ or {})
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    return message


def test_missing_file_named_explicitly(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(str(tmp_path / "nope.toml"), environ={})


def test_bad_toml(tmp_path: Path) -> None:
    assert "not valid TOML" in refusal(tmp_path, "refresh = = 3\n")


def test_unknown_provider(tmp_path: Path) -> None:
    message = refusal(tmp_path, '[[account]]\nname = "x"\nprovider = "dropbox"\n')
    assert "account 'x'.provider" in message and "'dropbox'" in message and "hdrjpg" in message


def test_unknown_key(tmp_path: Path) -> None:
    assert "account 'x'.tokn_env" in refusal(
        tmp_path, '[[account]]\nname = "x"\nprovider = "zoo"\ntokn_env = "A"\n'
    )


def test_world_readable_literal_token(tmp_path: Path) -> None:
    text = '[[account]]\nname = "x"\nprovider = "zoo"\ntoken = "sekrit-value-1"\n'
    message = refusal(tmp_path, text, mode=0o644)
    assert "chmod 600" in message and "sekrit-value-1" not in message
    path = write(tmp_path, text, 0o600)
    account = load_settings(str(path), environ={}).accounts[0]
    assert account.token == Secret("sekrit-value-1")


def test_http_to_a_remote_host(tmp_path: Path) -> None:
    message = refusal(
        tmp_path, '[[account]]\nname = "x"\nprovider = "zoo"\nbase_url = "http://api.zoo.dev"\n'
    )
    assert "account 'x'.base_url" in message and "not loopback" in message


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://api.zoo.dev", True),
        ("http://127.0.0.1:8000/zoo", True),
        ("http://127.3.4.5/zoo", True),
        ("http://[::1]:9/x", True),
        ("http://localhost:9/x", True),
        ("http://10.0.0.1/x", False),
        ("http://example.com", False),
        ("ftp://x", False),
        ("https://user:pw@api.zoo.dev", False),
    ],
)
def test_base_url_rules(url: str, ok: bool) -> None:
    assert (base_url_problem(url) is None) is ok


def test_duplicate_names_and_bad_refresh(tmp_path: Path) -> None:
    assert "used by two accounts" in refusal(
        tmp_path, '[[account]]\nname="a"\nprovider="zoo"\n[[account]]\nname="a"\nprovider="zoo"\n'
    )
    assert "refresh" in refusal(tmp_path, "refresh = 0\n")
    assert "refresh" in refusal(tmp_path, 'refresh = "fast"\n')


def test_secret_never_prints() -> None:
    secret = Secret("tok-abcdef")
    for text in (
        repr(secret),
        str(secret),
        f"{secret}",
        f"{secret!r}",
        repr([secret]),
        repr({"t": secret}),
    ):
        assert "tok-abcdef" not in text
    assert secret.reveal() == "tok-abcdef"
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(secret)


@pytest.mark.parametrize("port", [":80:90", ":99999", ":65536", ":-1", ":0", ":8o"])
def test_a_base_url_port_that_cannot_be_used_is_refused_at_load(tmp_path: Path, port: str) -> None:
    text = f'[[account]]\nname = "x"\nprovider = "zoo"\nbase_url = "https://api.zoo.dev{port}"\n'
    message = refusal(tmp_path, text)
    assert "account 'x'.base_url" in message and "port" in message


def test_a_base_url_port_in_range_is_accepted() -> None:
    assert base_url_problem("https://api.zoo.dev:65535/v1") is None
    assert base_url_problem("http://127.0.0.1:1") is None


@pytest.mark.parametrize(
    "pasted",
    [
        "sk_live_51HqLyjWDarjtT1zdp7dcXyZ",
        "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
        "Zq8x0vP2mL7kR4tY9wE1uI3oA6sD5fG",
        "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        "0f8c2b1e-5d3a-4c6b-9e7f-1a2b3c4d5e6f",
        "abc.def/ghi+jkl==",
    ],
)
def test_token_env_holding_a_token_is_refused_without_quoting_it(
    tmp_path: Path, pasted: str
) -> None:
    text = f'[[account]]\nname = "x"\nprovider = "zoo"\ntoken_env = "{pasted}"\n'
    message = refusal(tmp_path, text)
    assert "account 'x'.token_env" in message and "environment variable" in message
    assert pasted not in message and pasted[:8] not in message


@pytest.mark.parametrize("name", ["ZOO_API_TOKEN", "my_token", "CI_TOKEN_2024_PROD", "_X"])
def test_token_env_naming_a_variable_is_accepted(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, f'[[account]]\nname = "x"\nprovider = "zoo"\ntoken_env = "{name}"\n')
    account = load_settings(str(path), environ={name: "tok"}).accounts[0]
    assert account.token_env == name and account.token == Secret("tok")


@pytest.mark.parametrize(
    "url",
    [
        "ftp://alice:hunter2-pass@api.zoo.dev/x",
        "https://alice:hunter2-pass@api.zoo.dev:99999/x",
        "http://alice:hunter2-pass@example.com/x",
        "https://alice:hunter2-pass@api.zoo.dev/x",
        "gopher://:hunter2-pass@h",
    ],
)
def test_a_password_in_a_refused_url_is_never_quoted(tmp_path: Path, url: str) -> None:
    text = f'[[account]]\nname = "x"\nprovider = "zoo"\nbase_url = "{url}"\n'
    message = refusal(tmp_path, text)
    assert "hunter2-pass" not in message and "hunter2" not in message


def test_theme_from_file_env_and_cli(tmp_path: Path) -> None:
    path = write(tmp_path, 'theme = "light"\n' + GOOD)
    assert load_settings(str(path), environ={}).theme == "light"
    assert load_settings(str(write(tmp_path, GOOD)), environ={}).theme == "dark"
    path = write(tmp_path, 'theme = "light"\n' + GOOD)
    assert load_settings(str(path), environ={"JOBTOP_THEME": "Dark"}).theme == "dark"
    settings = load_settings(
        str(path), environ={"JOBTOP_THEME": "dark"}, cli=Overrides(theme="light")
    )
    assert settings.theme == "light"


def test_bad_theme_is_one_sentence(tmp_path: Path) -> None:
    path = write(tmp_path, 'theme = "solarized"\n' + GOOD)
    with pytest.raises(ConfigError) as caught:
        load_settings(str(path), environ={})
    assert str(caught.value).endswith("theme must be one of dark, light, not 'solarized'")
    with pytest.raises(ConfigError, match="JOBTOP_THEME must be one of dark, light"):
        load_settings(str(write(tmp_path, GOOD)), environ={"JOBTOP_THEME": "blue"})


def test_log_file_and_level(tmp_path: Path) -> None:
    path = write(tmp_path, 'log_file = "logs/jobtop.log"\n' + GOOD)
    settings = load_settings(str(path), environ={})
    # relative to the config file's directory, not to wherever jobtop was started
    assert settings.log_file == tmp_path / "logs" / "jobtop.log"
    assert settings.log_level is None
    settings = load_settings(str(path), environ={"JOBTOP_LOG": "DEBUG"})
    assert settings.log_level == "debug"
    cli = Overrides(log_file=tmp_path / "other.log", log_level="warning")
    settings = load_settings(str(path), environ={"JOBTOP_LOG": "debug"}, cli=cli)
    assert (settings.log_file, settings.log_level) == (tmp_path / "other.log", "warning")
    with pytest.raises(ConfigError, match="log_file must be the path of a file"):
        load_settings(str(write(tmp_path, "log_file = 3\n" + GOOD)), environ={})
    with pytest.raises(ConfigError, match="JOBTOP_LOG must be one of debug, info, warning"):
        load_settings(str(write(tmp_path, GOOD)), environ={"JOBTOP_LOG": "verbose"})


def test_notification_rules_default_to_failures_and_can_opt_in(tmp_path: Path) -> None:
    assert load_settings(str(write(tmp_path, GOOD)), environ={}).notify == frozenset({"failed"})
    path = write(tmp_path, GOOD + '\n[notifications]\njobs = ["failed", "canceled"]\n')
    assert load_settings(str(path), environ={}).notify == frozenset({"failed", "canceled"})
    path = write(tmp_path, GOOD + "\n[notifications]\njobs = []\n")
    assert load_settings(str(path), environ={}).notify == frozenset()


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        (
            'jobs = ["failed", "exploded"]',
            "notifications.jobs 'exploded' is not one of failed, succeeded, canceled",
        ),
        ('jobs = "failed"', "notifications.jobs must be a list of job endings"),
        ("sound = true", "notifications.sound is not a known setting (known: jobs)"),
    ],
)
def test_bad_notification_rules_are_one_sentence(tmp_path: Path, table: str, problem: str) -> None:
    path = write(tmp_path, GOOD + f"\n[notifications]\n{table}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(str(path), environ={})
    assert problem in str(caught.value) and "\n" not in str(caught.value)
