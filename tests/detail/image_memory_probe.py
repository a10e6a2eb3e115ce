"""Peak memory of one Zoo response of 32 huge snapshot images, walked with Down (a subprocess).

Run as `python -m tests.detail.image_memory_probe [count] [downs]`. A loopback server
answers the real Zoo provider with a conversion whose snapshots are all one
6300×6300 PNG (about 130 KB encoded, 160 MB as Pillow holds it). The detail screen
opens it and Down is pressed `downs` times in a row, as a held key does; then every
decode is waited for. Prints one JSON object: memory figures in MB from /proc/self/status
(the high-water mark is reset just before the screen opens) and the final caption.
"""

from __future__ import annotations

import asyncio
import base64
import json
import struct
import sys
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SIDE = 6300


def huge_png(side: int = SIDE) -> bytes:
    """An RGB gradient PNG of `side`×`side`, compressed a row at a time (never held whole)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(body, zlib.crc32(kind)))
        )

    packer = zlib.compressobj(9)
    first = bytes((x * 255 // side) for x in range(side) for _ in range(3))
    idat = packer.compress(b"\x00" + first)
    same = b"\x02" + bytes(side * 3)  # Up filter: each row equals the one above
    for _ in range(side - 1):
        idat += packer.compress(same)
    idat += packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def memory() -> dict[str, int]:
    """VmRSS and VmHWM in MB."""
    figures = {}
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                figures[line.split(":")[0]] = int(line.split()[1]) // 1024
    return figures


def reset_peak() -> None:
    """Start VmHWM again from the present RSS (Linux `clear_refs`, value 5)."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


@contextmanager
def serve(body: bytes) -> Iterator[str]:
    """A loopback server answering every conversion request with `body`; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server name
            found = "/conversions/" in self.path
            payload = body if found else b'{"message": "not found"}'
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def run(count: int, downs: int) -> dict[str, Any]:
    from tests.detail.conftest import (
        DetailApp,
        ScriptedProvider,
        wait_for_detail,
        zoo_conversion_detail,
        zoo_conversion_payload,
    )
    from tui.config import AccountConfig
    from tui.models import Job, JobKind, JobState, ProviderName
    from tui.providers import build_provider
    from tui.secret import Secret

    # A first screen with small snapshots loads every module and style the run uses.
    small = zoo_conversion_detail()
    warm = DetailApp(small.job, ScriptedProvider({small.job.id: [small]}))
    async with warm.run_test(size=(120, 60)) as pilot:
        await wait_for_detail(pilot)

    payload = zoo_conversion_payload()
    image = {"mime_type": "image/png", "data_base64": base64.b64encode(huge_png()).decode()}
    payload["original_snapshot_images"] = [image] * count
    payload["raw_kcl_snapshot_images"] = []
    body = json.dumps(payload).encode()
    del payload, image
    with serve(body) as url:
        account = AccountConfig(
            name="zoo-test", provider=ProviderName.ZOO, base_url=url, token=Secret("test-token")
        )
        provider = build_provider(account)
        job = Job(
            account="zoo-test",
            provider=ProviderName.ZOO,
            kind=JobKind.DATASET_CONVERSION,
            id=small.job.id,
            name=small.job.id,
            status="",
            state=JobState.UNKNOWN,
            parent_id=small.job.parent_id,
        )
        app = DetailApp(job, provider)
        before = memory()
        reset_peak()
        async with app.run_test(size=(120, 60)) as pilot:
            screen = await wait_for_detail(pilot)
            screen.query_one("#zoo-images").focus()
            for _ in range(downs):
                await pilot.press("down")
            caption = ""
            for _ in range(2400):  # a minute at most
                await pilot.pause(0.025)
                caption = str(screen.query_one("#zoo-image-caption").render())
                busy = any(
                    worker.group == "snapshot-image" and not worker.is_finished
                    for worker in app.workers
                )
                if not busy and "decoding" not in caption:
                    break
            after = memory()
        await provider.aclose()
    return {
        "rss_before": before["VmRSS"],
        "peak": after["VmHWM"],
        "rss_after": after["VmRSS"],
        "caption": caption,
        "bytes": len(body),
    }


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 32
    downs = int(sys.argv[2]) if len(sys.argv) > 2 else 12
    print(json.dumps(asyncio.run(run(count, downs))))


if __name__ == "__main__":
    main()
