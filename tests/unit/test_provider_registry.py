"""A fifth provider joins through the registry alone: a toy provider, defined here, is
registered, then a config naming it parses, `build_provider` builds it, its listing maps
its own states with its own auth header, its detail type comes back and gets a view, and
its jobs survive the store's JSON. Nothing outside this file knows of it, so any of those
paths that still branched on the four built-in names would fail here."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
import pytest

from tui.accounts import AccountConfig
from tui.config import account_config, parse_config
from tui.errors import AuthError, ConfigError
from tui.models import Job, JobDetail, JobKind, JobState, ProviderName
from tui.providers import build_provider
from tui.providers.base import Capabilities, ListQuery, ListResult
from tui.providers.fields import status_word, string_id
from tui.providers.http_provider import HttpProvider
from tui.providers.registry import (
    OptionFail,
    ProviderSpec,
    all_specs,
    find_spec,
    map_state,
    register,
    spec_for,
    unregister,
)
from tui.providers.zoo import vocabulary as zoo_vocabulary
from tui.secret import Secret
from tui.sim import zoo_wire
from tui.widgets.detail_common import JobFieldsView
from tui.widgets.detail_views import register_view, unregister_view, view_for

TOY = "toy"
_TOY_STATES = {"waiting": JobState.QUEUED, "baking": JobState.RUNNING, "done": JobState.SUCCEEDED}


def toy_state(kind: str, status: object, *, has_errors: bool = False) -> JobState:
    """The toy's words; "burnt" only in its error flag's company."""
    if has_errors:
        return JobState.FAILED
    return _TOY_STATES.get(status if isinstance(status, str) else "", JobState.UNKNOWN)


@dataclass(frozen=True, slots=True)
class ToyOptions:
    shelf: str = "top"


def toy_options(raw: Mapping[str, Any], fail: OptionFail) -> ToyOptions:
    shelf = raw.get("shelf", "top")
    if shelf not in ("top", "bottom"):
        raise fail("shelf", 'must be "top" or "bottom"')
    return ToyOptions(shelf=shelf)


@dataclass(frozen=True, slots=True)
class ToyDetail(JobDetail):
    oven: str | None = None


def toy_job(item: Mapping[str, Any], account: str) -> Job | None:
    job_id = string_id(item, "id")
    status = status_word(item, "status")
    if job_id is None or status is None:
        return None
    return Job.from_server(
        account=account,
        provider=TOY,
        kind=JobKind.JOB,
        id=job_id,
        name=job_id,
        status=status,
        state=map_state(TOY, JobKind.JOB, status, has_errors=bool(item.get("burnt"))),
    )


class ToyProvider(HttpProvider):
    """Lists `GET jobs?shelf=...`; a job's detail is `GET jobs/{id}`."""

    provider: ClassVar[str] = TOY
    capabilities = Capabilities(lists=True)

    def __init__(self, account: AccountConfig, **options: Any) -> None:
        super().__init__(account, **options)
        self.shelf = account.options_as(ToyOptions).shelf

    async def list_jobs(self, query: ListQuery) -> ListResult:
        async with self._http.poll() as poll:
            body = await self._http.get_json("jobs", {"shelf": self.shelf})
        jobs = [job for item in body["items"] if (job := toy_job(item, self.account))]
        return ListResult(jobs=jobs, requests=poll.requests)

    async def get_job(self, job_id: str, parent_id: str | None = None) -> ToyDetail:
        async with self._http.poll():
            body = await self._http.get_json(f"jobs/{job_id}")
        job = toy_job(body, self.account)
        assert job is not None
        return ToyDetail(job=job, raw=body, oven=body.get("oven"))


TOY_SPEC = ProviderSpec(
    name=TOY,
    title="Toy Ovens",
    default_base_url="https://api.toy.invalid/v1",
    auth_header="X-Toy-Key",
    auth_prefix="toy ",
    map_state=toy_state,
    statuses={JobKind.JOB.value: tuple(_TOY_STATES)},
    factory=ToyProvider,
    detail_types=(ToyDetail,),
    option_keys=frozenset({"shelf"}),
    parse_options=toy_options,
)

ITEMS: dict[str, dict[str, Any]] = {
    "j1": {"id": "j1", "status": "waiting"},
    "j2": {"id": "j2", "status": "baking", "oven": "left"},
    "j3": {"id": "j3", "status": "done"},
    "j4": {"id": "j4", "status": "waiting", "burnt": True},
    "j5": {"id": "j5", "status": "melted"},
}


def toy_server(seen: list[httpx.Request], token: str = "s3cret") -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("X-Toy-Key") != f"toy {token}":
            return httpx.Response(401, json={"message": "no key"})
        path = request.url.path.removeprefix("/v1/")
        if path == "jobs":
            shelf = request.url.params.get("shelf")
            items = list(ITEMS.values()) if shelf == "bottom" else []
            return httpx.Response(200, json={"items": items})
        if path.startswith("jobs/") and path[5:] in ITEMS:
            return httpx.Response(200, json=ITEMS[path[5:]])
        return httpx.Response(404, json={"message": "no such job"})

    return httpx.MockTransport(answer)


@pytest.fixture
def toy() -> Iterator[ProviderSpec]:
    register(TOY_SPEC)
    yield TOY_SPEC
    unregister(TOY)


CONFIG = {
    "account": [
        {"name": "ovens", "provider": "toy", "token_env": "TOY_KEY", "shelf": "bottom"},
        {"name": "zoo", "provider": "zoo", "datasets": ["d1"]},
    ]
}


def test_a_config_naming_the_toy_parses_with_its_defaults_and_options(toy: ProviderSpec) -> None:
    settings = parse_config(CONFIG, environ={"TOY_KEY": "s3cret"})
    ovens = settings.account("ovens")
    assert ovens.provider == TOY
    assert ovens.base_url == "https://api.toy.invalid/v1"
    assert ovens.token == Secret("s3cret")
    assert ovens.options == ToyOptions(shelf="bottom")
    # its key is known to the config, its parser checks its values
    bad = {"account": [{"name": "ovens", "provider": "toy", "shelf": "middle"}]}
    with pytest.raises(ConfigError, match=r"account 'ovens'\.shelf must be \"top\" or"):
        parse_config(bad, environ={})


def test_without_registering_the_toy_is_not_a_provider() -> None:
    assert find_spec(TOY) is None
    with pytest.raises(ConfigError, match="shelf is not a known account setting"):
        parse_config(CONFIG, environ={})
    plain = {"account": [{"name": "ovens", "provider": "toy"}]}
    with pytest.raises(ConfigError, match="'toy' is not a provider"):
        parse_config(plain, environ={})
    assert [spec.name for spec in all_specs()] == list(ProviderName)


async def test_build_provider_builds_it_and_its_listing_maps_its_states(
    toy: ProviderSpec,
) -> None:
    account = parse_config(CONFIG, environ={"TOY_KEY": "s3cret"}).account("ovens")
    seen: list[httpx.Request] = []
    source = build_provider(account, transport=toy_server(seen))
    try:
        assert isinstance(source, ToyProvider) and source.provider == TOY
        result = await source.list_jobs(ListQuery())
        states = {job.id: job.state for job in result.jobs}
        assert states == {
            "j1": JobState.QUEUED,
            "j2": JobState.RUNNING,
            "j3": JobState.SUCCEEDED,
            "j4": JobState.FAILED,
            "j5": JobState.UNKNOWN,
        }
        # the toy's own auth header and prefix, and its option, went out
        assert seen[0].headers["X-Toy-Key"] == "toy s3cret"
        assert "authorization" not in seen[0].headers
        assert seen[0].url.params["shelf"] == "bottom"

        detail = await source.get_job("j2")
        assert type(detail) in toy.detail_types
        assert isinstance(detail, ToyDetail) and detail.oven == "left"
        assert detail.job.state is JobState.RUNNING
    finally:
        await source.aclose()


async def test_its_errors_name_it_by_its_title(toy: ProviderSpec) -> None:
    account = account_config(
        name="ovens",
        provider=TOY,
        base_url="https://api.toy.invalid/v1",
        token=Secret("wrong"),
        shelf="top",
    )
    source = build_provider(account, transport=toy_server([]))
    try:
        with pytest.raises(AuthError) as refused:
            await source.list_jobs(ListQuery())
        assert "Toy Ovens" in refused.value.sentence
    finally:
        await source.aclose()


def test_its_jobs_survive_the_store_json_and_its_detail_gets_a_view(toy: ProviderSpec) -> None:
    job = toy_job(ITEMS["j3"], "ovens")
    assert job is not None
    again = Job.from_json(job.to_json())
    assert again == job and again.provider == TOY

    assert view_for(ToyDetail) is JobFieldsView

    class ToyView(JobFieldsView):
        """The toy's own detail view."""

    register_view(ToyDetail, ToyView)
    try:
        assert view_for(ToyDetail) is ToyView
    finally:
        unregister_view(ToyDetail)
    assert spec_for(TOY).detail_types == (ToyDetail,)


def test_the_built_ins_register_their_specs() -> None:
    zoo = spec_for(ProviderName.ZOO)
    assert (zoo.title, zoo.default_base_url) == ("Zoo", "https://api.zoo.dev")
    assert map_state("zoo", JobKind.DATASET_CONVERSION, "error_new") is JobState.FAILED
    assert map_state("hdrjpg", JobKind.CONVERSION, "Ready") is JobState.SUCCEEDED
    assert map_state("nobody", JobKind.JOB, "done") is JobState.UNKNOWN
    assert spec_for(ProviderName.HDRJPG).gives_eta
    assert not any(spec.gives_eta for spec in all_specs() if spec.name != ProviderName.HDRJPG)


def test_the_simulated_zoo_publishes_the_words_the_zoo_provider_knows() -> None:
    assert zoo_wire.ZOO_DATASET_STATUSES == zoo_vocabulary.ZOO_DATASET_STATUSES
    assert zoo_wire.ZOO_DATASET_SEED_STATUSES == zoo_vocabulary.ZOO_DATASET_SEED_STATUSES
    assert zoo_wire.ZOO_PHASES == zoo_vocabulary.ZOO_PHASES
    assert zoo_wire.ZOO_SEED_PHASES == zoo_vocabulary.ZOO_SEED_PHASES
