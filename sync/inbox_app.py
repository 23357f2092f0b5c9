"""HTTP face of the inbox: a small ASGI app (Starlette) served by uvicorn.

Its own process in production (``ketenbrug inbox serve``). Database work runs in the
thread pool, so many senders can push at once. A request body is spooled (in memory up to
1 MB, then to a temporary file) and hashed as it arrives, never read whole: a pushed document
of hundreds of MB keeps memory flat.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
import time
from contextlib import suppress

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from sync.inbox import Inbox

__all__ = ["InboxServer", "create_app"]

SPOOL_IN_MEMORY = 1024 * 1024


def create_app(inbox: Inbox) -> Starlette:
    async def receive(request: Request) -> Response:
        action = (request.headers.get("soapaction") or "").strip('"') or None
        digest = hashlib.sha256()
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, prefix="kb-inbox-") as spool:
            async for chunk in request.stream():
                digest.update(chunk)
                spool.write(chunk)
            spool.seek(0)
            answer = await run_in_threadpool(inbox.receive_file, spool, digest.hexdigest(), action)
        return Response(
            answer.body, status_code=answer.status, media_type="text/xml; charset=utf-8"
        )

    async def health(_request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/{path:path}", receive, methods=["POST"]),
        ]
    )


class InboxServer:
    """Runs the inbox app with uvicorn in a background thread (tests, demo)."""

    def __init__(self, inbox: Inbox, *, host: str = "127.0.0.1", port: int = 0) -> None:
        config = uvicorn.Config(
            create_app(inbox), host=host, port=port, log_level="warning", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="ketenbrug-inbox", daemon=True)

    @property
    def url(self) -> str:
        sockets = [s for server in self.server.servers for s in server.sockets]
        host, port = sockets[0].getsockname()[:2]
        return f"http://{host}:{port}/"

    def start(self) -> InboxServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("inbox server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        with suppress(RuntimeError):
            self.thread.join(timeout=10)

    def __enter__(self) -> InboxServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
