"""Extract the response schemas of some endpoints from an OpenAPI file into a small JSON Schema.

The schema property tests (tests/providers/test_schema_properties.py) generate responses
from the vendors' published schemas. A vendor's OpenAPI file can be megabytes (Zoo's is
2 MB); this keeps only what the named endpoints answer with: for each `GET /path`, the
schema of its 200 JSON response, and every component schema it reaches through `$ref`,
rewritten to `#/definitions/...` so the file stands alone.

OpenAPI 3.0's `nullable: true` is read as "or null" (`anyOf: [{type: null}, ...]`), as
the vendors' own SDKs read it; a strict 3.0.3 reading would ignore it without a sibling
`type` and reject the nulls the servers send.

    python scripts/extract_contract.py zoo-openapi.json \\
        --endpoint "GET /async/operations/{id}" --endpoint "GET /org/datasets" \\
        --origin "KittyCAD/kittycad.ts spec.json @ <commit>" -o tests/contracts/zoo.schema.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

COMPONENTS = "#/components/schemas/"
DEFINITIONS = "#/definitions/"


def response_schema(spec: dict[str, Any], endpoint: str) -> Any:
    """The 200 `application/json` schema of `endpoint` ("GET /path")."""
    method, _, route = endpoint.partition(" ")
    try:
        operation = spec["paths"][route][method.lower()]
        return operation["responses"]["200"]["content"]["application/json"]["schema"]
    except KeyError:
        raise SystemExit(f"{endpoint!r} has no 200 JSON response in this file") from None


def referenced(value: Any) -> set[str]:
    """Names of the component schemas `value` refers to directly."""
    names: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith(COMPONENTS):
                names.add(ref[len(COMPONENTS) :])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return names


def closure(spec: dict[str, Any], roots: list[Any]) -> list[str]:
    """Every component schema reachable from `roots`, sorted by name."""
    schemas = spec.get("components", {}).get("schemas", {})
    seen: set[str] = set()
    pending = set().union(*(referenced(root) for root in roots)) if roots else set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        if name not in schemas:
            raise SystemExit(f"$ref to a missing component schema: {name}")
        seen.add(name)
        pending |= referenced(schemas[name]) - seen
    return sorted(seen)


def converted(value: Any) -> Any:
    """`value` with `$ref`s pointing into `definitions` and `nullable: true` as "or null"."""
    if isinstance(value, list):
        return [converted(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if key == "$ref" and isinstance(item, str) and item.startswith(COMPONENTS):
            out[key] = DEFINITIONS + item[len(COMPONENTS) :]
        elif key == "nullable":
            continue
        else:
            out[key] = converted(item)
    if value.get("nullable") is True:
        return {"anyOf": [{"type": "null"}, out]}
    return out


def extract(spec: dict[str, Any], endpoints: list[str], origin: str) -> dict[str, Any]:
    """The standalone schema document for `endpoints` of `spec`."""
    roots = {endpoint: response_schema(spec, endpoint) for endpoint in endpoints}
    schemas = spec.get("components", {}).get("schemas", {})
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": f"{spec.get('info', {}).get('title', 'API')}: responses jobtop reads",
        "x-origin": origin,
        "x-openapi": spec.get("openapi"),
        "endpoints": {endpoint: converted(schema) for endpoint, schema in roots.items()},
        "definitions": {
            name: converted(schemas[name]) for name in closure(spec, list(roots.values()))
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("openapi", type=Path, help="the vendor's OpenAPI file (JSON)")
    parser.add_argument(
        "--endpoint", action="append", required=True, help='"GET /path", as in the file'
    )
    parser.add_argument("--origin", required=True, help="the file's public origin")
    parser.add_argument("-o", "--output", type=Path, help="where to write (default stdout)")
    args = parser.parse_args(argv)
    document = extract(json.loads(args.openapi.read_text()), args.endpoint, args.origin)
    text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
