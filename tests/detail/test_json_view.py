"""The raw JSON view: pretty lines, escaping of unsafe characters, highlighting, search."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from textual.app import App, ComposeResult

from tui.sanitize import is_clean
from tui.widgets.json_view import JsonView, Match, find_matches, json_lines, token_spans


def test_pretty_lines() -> None:
    assert json_lines({"a": [1, None]}) == ["{", '  "a": [', "    1,", "    null", "  ]", "}"]


def test_unsafe_characters_are_escaped_visibly() -> None:
    payload = {"name\x1b]52;c;aGk=\x07": "a\u202eb\x9b2J\u200bc", "ok": "é ü 漢"}
    lines = json_lines(payload)
    joined = "\n".join(lines)
    assert all(is_clean(line) for line in lines)
    assert "\\u001b]52;c;aGk=\\u0007" in joined
    assert "a\\u202eb\\u009b2J\\u200bc" in joined
    assert "é ü 漢" in joined  # ordinary non-ASCII text stays readable
    invisible = json_lines(["a\u2028b\u2029c\u00add✔\ufe0f\U000e0041\U0001f3fd\ud800"])
    assert all(is_clean(line) for line in invisible)
    escaped = "a\\u2028b\\u2029c\\u00add✔\\ufe0f\\udb40\\udc41\\ud83c\\udffd\\ud800"
    assert escaped in "\n".join(invisible)


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.text(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))
def test_any_json_renders_clean(value: object) -> None:
    assert all(is_clean(line) for line in json_lines(value))


def test_long_lines_are_cut_with_a_count() -> None:
    lines = json_lines({"data_base64": "A" * 5000}, max_line=100)
    assert len(lines[1]) < 140
    assert lines[1].endswith("… (+4919 characters)")


def test_token_kinds() -> None:
    kinds = [kind for _, _, kind in token_spans('  "key": "value", 1.5e3, true, null')]
    assert kinds == [
        "key",
        "punct",
        "string",
        "punct",
        "number",
        "punct",
        "literal",
        "punct",
        "literal",
    ]


def test_find_matches_is_case_insensitive_and_ordered() -> None:
    lines = ["Alpha beta", "gamma", "BETA beta"]
    assert find_matches(lines, "beta") == [Match(0, 6, 10), Match(2, 0, 4), Match(2, 5, 9)]
    assert find_matches(lines, "") == []
    assert find_matches(lines, "zzz") == []


class JsonApp(App[None]):
    def __init__(self, value: object) -> None:
        super().__init__()
        self.value = value

    def compose(self) -> ComposeResult:
        yield JsonView(self.value)


async def test_search_moves_and_wraps_and_scrolls() -> None:
    value = {f"key{i:03}": ("needle" if i in (5, 150, 290) else i) for i in range(300)}
    app = JsonApp(value)
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(JsonView)
        view.search("NEEDLE")
        await pilot.pause()
        assert len(view.matches) == 3
        assert view.current_match == Match(6, 13, 19)
        assert view.match_summary == '1/3 for "NEEDLE"'
        view.next_match()
        await pilot.pause()
        assert view.current_match is not None and view.current_match.line == 151
        assert view.scroll_y <= 151 < view.scroll_y + view.size.height
        view.next_match()
        view.next_match()
        assert view.current_match is not None and view.current_match.line == 6  # wrapped
        view.previous_match()
        assert view.current_match is not None and view.current_match.line == 291
        view.search("absent")
        assert view.match_summary == 'no match for "absent"'
        view.clear_search()
        assert view.match_summary == "" and view.matches == []


async def test_replacing_the_value_keeps_the_search() -> None:
    app = JsonApp({"a": "x"})
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(JsonView)
        view.search("x")
        assert len(view.matches) == 1
        view.set_value({"a": "x", "b": "xx"})
        await pilot.pause()
        assert len(view.matches) == 3
        assert view.current_match == Match(1, 8, 9)


async def test_hostile_values_render_literally() -> None:
    hostile = {"[@click=app.quit]": "[/x] [bold red]boom\x1b[2J"}
    app = JsonApp(hostile)
    async with app.run_test(size=(80, 10)) as pilot:
        view = app.query_one(JsonView)
        await pilot.pause()
        rendered = "".join(segment.text for segment in view.render_line(1))
        assert '"[@click=app.quit]": "[/x] [bold red]boom\\u001b[2J"' in rendered
        await pilot.click(JsonView, offset=(5, 1))
        assert app.is_running


def test_search_stops_at_the_match_limit() -> None:
    lines = ["aaaa"] * 50
    assert len(find_matches(lines, "a", limit=30)) == 30
    assert len(find_matches(lines, "a")) == 200
