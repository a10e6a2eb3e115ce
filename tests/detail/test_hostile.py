"""Hostile server strings in every kind of detail: no crash, literal text, dead clicks."""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import Callable
from typing import Any

import pytest
from textual.app import App
from textual.widgets import Static

from tests.detail.conftest import (
    DetailApp,
    ScriptedProvider,
    hdrjpg_seed_detail,
    metafold_seed_detail,
    wait_for_detail,
    zoo_async_seed_detail,
    zoo_conversion_payload,
)
from tests.waiting import wait_for
from tui.models import JobDetail
from tui.providers import hdrjpg, lettrlabs, metafold, zoo
from tui.screens.job_detail import JobDetailScreen
from tui.sim.seeds import seed
from tui.widgets.detail_common import Fields
from tui.widgets.json_view import JsonView

CLICK = "[@click=app.quit]Click here for logs[/]"
CLOSE = "[/x]"
ESCAPES = "\x1b]52;c;cHduZWQ=\x07\x1b[2J\x1b]8;;https://evil.example\x1b\\\x9b31m\u202eevil"
INVISIBLE = "sep\u2028line\u2029para\x85nel soft\u00adhy\u3164 ✔\ufe0f 👍\U0001f3fd tag\U000e0041"
"""Zero cells to Rich, but drawn (or a line break) by some terminals."""
UNSAFE_ON_SCREEN = (
    "\x1b",
    "\x9b",
    "\u202e",
    "\u2028",
    "\u2029",
    "\x85",
    "\u00ad",
    "\u3164",
    "\ufe0f",
    "\U0001f3fd",
    "\U000e0041",
)
LONG = "W" * 5000 + "\n" + "second line [bold red]not bold[/bold red]"


def hostile_details() -> dict[str, JobDetail]:
    h = seed("hdrjpg")
    h.update(
        sourceImageFileName=CLICK,
        step=CLOSE,
        failDescriptions=[ESCAPES, LONG],
        averageColor="[red]",
        blurHash=CLOSE,
    )
    h["variants"][0].update(outputImageFileName=CLICK, format=ESCAPES, warningDescriptions=[CLOSE])
    m = seed("metafold_job")
    m.update(name=CLICK, type=CLOSE, error=ESCAPES + INVISIBLE, state="[b]weird[/b]")
    m["inputs"]["assets"]["mesh"]["filename"] = CLICK
    m["outputs"]["params"]["patch"] = '{"[/x]": "' + "[@click=app.quit]" + '"}'
    m["needs"] = [CLOSE]
    z = seed("zoo_async")
    z.update(error=CLICK + ESCAPES, worker=CLOSE, type="[link=https://evil.example]x[/link]")
    lettr = seed("lettrlabs_status")
    lettr["payload"].update(fileName=CLICK, dataSourceType=ESCAPES + INVISIBLE, status=CLOSE)
    lettr.update(errors=[CLICK, LONG], warnings=[ESCAPES], metadata={CLOSE: CLICK})
    lettr["profile"].update(company=CLICK, email=CLOSE)
    conversion = zoo_conversion_payload()
    conversion.update(
        file_path=CLICK,
        status="error_[/x]",
        phase=CLOSE,
        status_message=ESCAPES + INVISIBLE,
        metadata={CLICK: LONG},
        raw_kcl_output="x = 1 // " + CLICK + ESCAPES,
    )
    conversion["original_snapshot_images"][0]["mime_type"] = CLICK
    conversion["original_snapshot_images"][1]["data_base64"] = "bm90IGEgcG5n"  # "not a png"
    details: dict[str, Any] = {
        "hdrjpg": hdrjpg.parse_conversion(h, "hdr"),
        "metafold": metafold.parse_detail(m, "metafold", "123"),
        "zoo_async": zoo.parse_async_detail(z, "zoo"),
        "lettrlabs": lettrlabs.parse_status_envelope(lettr, "lettr"),
        "zoo_conversion": zoo.parse_conversion_detail(conversion, "zoo"),
    }
    assert all(detail is not None for detail in details.values())
    return details


def screen_text(app: App[Any]) -> str:
    update = app.screen._compositor.render_full_update()
    return "\n".join("".join(segment.text for segment in strip) for strip in update.strips)


@pytest.mark.parametrize("kind", ["hdrjpg", "metafold", "zoo_async", "lettrlabs", "zoo_conversion"])
async def test_hostile_strings_show_literally_and_clicks_do_nothing(kind: str) -> None:
    detail = hostile_details()[kind]
    app = DetailApp(detail.job, ScriptedProvider({detail.job.id: [detail]}))
    async with app.run_test(size=(120, 80), notifications=True, tooltips=True) as pilot:
        screen = await wait_for_detail(pilot)
        assert screen.detail is detail and screen.error is None
        text = screen_text(app)
        assert not [ch for ch in UNSAFE_ON_SCREEN if ch in text]
        literal = CLOSE if kind == "zoo_async" else CLICK
        assert literal in text
        # Click every cell of every line that shows the payload: nothing may run.
        for y, line in enumerate(text.split("\n")):
            x = line.find("[@click")
            if x >= 0:
                await pilot.click(offset=(x + 3, y))
        await pilot.pause()
        assert app.is_running and app.screen is screen
        # The raw view shows the escapes as visible \\u escapes.
        await pilot.press("y")
        raw = screen.query_one(JsonView)
        assert raw.display
        joined = "\n".join(raw.lines)
        assert not [ch for ch in UNSAFE_ON_SCREEN if ch in joined]
        if kind != "zoo_conversion":
            assert "\\u001b" in joined
        if kind in ("metafold", "lettrlabs", "zoo_conversion"):
            assert "sep\\u2028line\\u2029para\\u0085nel soft\\u00adhy\\u3164" in joined
        await pilot.press("c")
        await pilot.pause()
        assert app.is_running


async def test_resizing_to_tiny_sizes_does_not_crash() -> None:
    detail = hostile_details()["zoo_conversion"]
    app = DetailApp(detail.job, ScriptedProvider({detail.job.id: [detail]}))
    async with app.run_test(size=(120, 40), notifications=True, tooltips=True) as pilot:
        screen = await wait_for_detail(pilot)
        for size in ((1, 1), (2, 1), (10, 3), (300, 100), (40, 12)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
        assert app.is_running and isinstance(app.screen, JobDetailScreen)
        assert app.screen is screen


HOSTILE_ID = "\x1b[31mab\x1b[0m echo hi;\ntouch /tmp/x"
"""An id as a server may send it: a colour sequence, and a line break a shell would run."""
SHOWN_ID = "ab echo hi; ⏎ touch /tmp/x"
"""How it is shown and copied: the sequences gone whole, the line break visible."""
OSC_52 = re.compile("\x1b\\]52;c;([A-Za-z0-9+/=]*)\x07")


def with_hostile_ids(detail: JobDetail, **fields: str) -> JobDetail:
    """`detail` with its job's id (and the given id fields) set to `HOSTILE_ID`."""
    job = dataclasses.replace(detail.job, id=HOSTILE_ID)
    return dataclasses.replace(detail, job=job, **fields)


async def test_a_hostile_id_is_copied_and_shown_on_one_line_without_its_escapes() -> None:
    detail = with_hostile_ids(hdrjpg_seed_detail())
    provider = ScriptedProvider({HOSTILE_ID: [detail]})
    app = DetailApp(detail.job, provider)
    async with app.run_test(size=(120, 40), notifications=True, tooltips=True) as pilot:
        screen = await wait_for_detail(pilot)
        assert provider.calls[0][0] == HOSTILE_ID  # the server is asked with its own id
        title = str(screen.query_one("#detail-title", Static).content)
        assert SHOWN_ID in title and "[31m" not in title and "\x1b" not in title
        written: list[str] = []
        driver = app._driver
        assert driver is not None
        write = driver.write

        def capture(data: str) -> None:
            written.append(data)
            write(data)

        driver.write = capture  # type: ignore[method-assign]
        await pilot.press("c")
        await wait_for(pilot, lambda: any(OSC_52.search(data) for data in written))
        payloads = [
            base64.b64decode(found).decode() for data in written for found in OSC_52.findall(data)
        ]
        assert payloads == [SHOWN_ID]  # what a paste gives: one line, no escape
        assert app.clipboard == SHOWN_ID
        assert [n.message for n in app._notifications][-1] == f"Copied job id {SHOWN_ID}"


@pytest.mark.parametrize(
    ("detail", "fields", "rows"),
    [
        (
            metafold_seed_detail,
            {"project_id": HOSTILE_ID, "workflow_id": HOSTILE_ID},
            ("#metafold-summary", ("project", "workflow")),
        ),
        (zoo_async_seed_detail, {"user_id": HOSTILE_ID}, ("#zoo-async-summary", ("user",))),
    ],
    ids=["metafold", "zoo_async"],
)
async def test_id_fields_of_a_detail_are_one_line_without_escapes(
    detail: Callable[[], JobDetail], fields: dict[str, str], rows: tuple[str, tuple[str, ...]]
) -> None:
    hostile = with_hostile_ids(detail(), **fields)
    app = DetailApp(hostile.job, ScriptedProvider({HOSTILE_ID: [hostile]}))
    async with app.run_test(size=(120, 60), notifications=True, tooltips=True) as pilot:
        screen = await wait_for_detail(pilot)
        assert screen.detail is hostile and screen.error is None
        selector, labels = rows
        lines = screen.query_one(selector, Fields).plain.split("\n")
        for label in labels:
            assert f"{label}  {SHOWN_ID}" in lines, (label, lines)
        text = screen_text(app)
        assert "[31m" not in text and "\x1b" not in text
