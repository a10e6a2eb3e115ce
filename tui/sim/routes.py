"""The providers' endpoints (the providers' own paths, under their prefixes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from tui.sim.api import ApiError, Endpoint, Handler
from tui.sim.state import SimState
from tui.sim.zoo import ZooQueryError


def provider_routes(st: SimState, endpoint: Callable[[str, Handler], Endpoint]) -> list[Route]:
    """Every provider route over the world `st`, each handler wrapped by `endpoint`
    (`SimApp.endpoint`: faults, auth and error shapes)."""

    def found(value: Any, what: str) -> Any:
        if value is None:
            raise ApiError(404, f"{what} not found")
        return value

    def params(request: Request) -> dict[str, str]:
        return dict(request.query_params)

    def zoo(call: Any) -> Any:
        try:
            return call()
        except ZooQueryError as exc:
            raise ApiError(400, str(exc)) from exc

    # -- Zoo ----------------------------------------------------------------------------
    def zoo_ping(request: Request) -> Any:
        return {"message": "pong"}

    def zoo_async_list(request: Request) -> Any:
        return zoo(lambda: st.zoo.list_async(params(request)))

    def zoo_async_get(request: Request) -> Any:
        return found(st.zoo.lookup_async(request.path_params["id"]), "async operation")

    def zoo_datasets(request: Request) -> Any:
        return zoo(lambda: st.zoo.list_datasets(params(request)))

    def zoo_dataset(request: Request) -> Any:
        return found(st.zoo.dataset(request.path_params["id"]), "dataset")

    def zoo_conversions(request: Request) -> Any:
        return found(
            zoo(lambda: st.zoo.list_conversions(request.path_params["id"], params(request))),
            "dataset",
        )

    def zoo_search(request: Request) -> Any:
        return found(
            zoo(
                lambda: st.zoo.list_conversions(
                    request.path_params["id"], params(request), search=True
                )
            ),
            "dataset",
        )

    def zoo_conversion(request: Request) -> Any:
        pp = request.path_params
        return found(st.zoo.lookup_conversion(pp["id"], pp["cid"]), "conversion")

    def zoo_stats(request: Request) -> Any:
        return found(st.zoo.stats(request.path_params["id"]), "dataset")

    # -- Metafold -------------------------------------------------------------------------
    def mf_projects(request: Request) -> Any:
        q = request.query_params
        return st.metafold.list_projects(q.get("sort"), q.get("q"))

    def mf_project(request: Request) -> Any:
        return found(st.metafold.project(request.path_params["pid"]), "Project")

    def mf_jobs(request: Request) -> Any:
        q = request.query_params
        return found(
            st.metafold.list_jobs(request.path_params["pid"], q.get("sort"), q.get("q")), "Project"
        )

    def mf_job(request: Request) -> Any:
        pp = request.path_params
        return found(st.metafold.lookup(pp["pid"], pp["jid"]), "Job")

    # -- LettrLabs ------------------------------------------------------------------------
    def ll_list(request: Request) -> Any:
        return st.lettrlabs.list()

    def ll_status(request: Request) -> Any:
        raw = request.path_params["id"]
        if not raw.lstrip("-").isdigit():
            raise ApiError(400, f"The value '{raw}' is not valid for id.")
        return found(st.lettrlabs.status(raw), f"Conversion {raw}")

    def ll_me(request: Request) -> Any:
        return st.lettrlabs.envelope(st.lettrlabs.profile())

    # -- hdrjpg ---------------------------------------------------------------------------
    def hj_status(request: Request) -> Any:
        ident = request.query_params.get("conversionUuid", "").strip()
        if not ident:
            raise ApiError(400, "The conversionUuid parameter is required.")
        return {"conversions": [found(st.hdrjpg.lookup(ident), "Conversion")]}

    def missing(request: Request) -> Any:
        raise ApiError(404, "Resource does not exist")

    table = {
        "zoo": [
            ("/ping", zoo_ping),
            ("/async/operations", zoo_async_list),
            ("/async/operations/{id}", zoo_async_get),
            ("/org/datasets", zoo_datasets),
            ("/org/datasets/{id}", zoo_dataset),
            ("/org/datasets/{id}/conversions", zoo_conversions),
            ("/org/datasets/{id}/search/conversions", zoo_search),
            ("/org/datasets/{id}/conversions/{cid}", zoo_conversion),
            ("/org/datasets/{id}/stats", zoo_stats),
        ],
        "metafold": [
            ("/projects", mf_projects),
            ("/projects/{pid}", mf_project),
            ("/projects/{pid}/jobs", mf_jobs),
            ("/projects/{pid}/jobs/{jid}", mf_job),
        ],
        "lettrlabs": [
            ("/v1/conversions", ll_list),
            ("/v1/conversions/{id}/status", ll_status),
            ("/v1/me", ll_me),
        ],
        "hdrjpg": [("/status", hj_status)],
    }
    routes: list[Route] = []
    for provider, entries in table.items():
        for path, handler in entries:
            routes.append(Route(f"/{provider}{path}", endpoint(provider, handler), methods=["GET"]))
        routes.append(Route(f"/{provider}/{{rest:path}}", endpoint(provider, missing)))
    return routes
