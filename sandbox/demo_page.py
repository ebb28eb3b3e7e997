"""The browser front end of the local demo: a chat-app page over the sandbox control API.

Mount it on the sandbox's own application (same origin as ``/_sandbox/``)::

    app = create_app(sandbox)
    add_demo_routes(app, personas)

Routes:

* ``GET /`` -- the page (``sandbox/static/index.html``);
* ``GET /static/{name}`` -- the page's own files (``index.html``, ``demo.js``, ``demo.css``;
  nothing else, so no path tricks reach other files);
* ``GET /_demo/personas`` -- whatever ``personas()`` returns, as JSON::

    {
      "bot": {"id": 123, "username": "shopwatch_demo_bot", "name": "ShopWatch"},
      "personas": [
        {"user_id": 1001, "name": "Priya Shah", "role": "coordinator",
         "blurb": "Runs Market Town Shop Watch"},
        ...
      ],
      "groups": [{"chat_id": -100123, "title": "Market Town Shop Watch"}]
    }

  Optional extras the page understands: a persona's ``"phone"`` (sent by "share contact"
  keyboard buttons; a made-up +44 7700 900xxx number otherwise) and a top-level
  ``"default_location": {"latitude": ..., "longitude": ..., "label": "..."}``.
* ``GET /_demo/files/{file_id}`` -- the bytes of a photo the sandbox stores, so the page can
  show thumbnails (the sandbox's own download route needs the bot token and a ``getFile``
  first). 404 when the application carries no sandbox or the file is unknown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

from aiohttp import web

from sandbox.botapi import SANDBOX_KEY

PersonasSource = Callable[[], Awaitable[dict[str, Any]]]

STATIC_FILES: dict[str, str] = {
    "index.html": "text/html",
    "demo.js": "text/javascript",
    "demo.css": "text/css",
}
"""Every file ``/static/`` serves, with its content type."""

NO_CACHE = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


def static_text(name: str) -> str:
    """One of the page's files (``KeyError`` for anything not in :data:`STATIC_FILES`)."""
    if name not in STATIC_FILES:
        raise KeyError(name)
    return resources.files("sandbox").joinpath("static", name).read_text(encoding="utf-8")


def _static_response(name: str) -> web.Response:
    try:
        text = static_text(name)
    except (KeyError, FileNotFoundError) as exc:
        raise web.HTTPNotFound(text="not found") from exc
    return web.Response(
        text=text, content_type=STATIC_FILES[name], charset="utf-8", headers=NO_CACHE
    )


def image_type(data: bytes) -> str | None:
    """The MIME type of a PNG, JPEG, GIF, WebP or BMP image, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"BM"):
        return "image/bmp"
    return None


def add_demo_routes(app: web.Application, personas: PersonasSource) -> None:
    """Serve the demo page, its static files, the personas and photo thumbnails on ``app``."""

    async def index(request: web.Request) -> web.StreamResponse:
        return _static_response("index.html")

    async def static(request: web.Request) -> web.StreamResponse:
        return _static_response(request.match_info["name"])

    async def personas_json(request: web.Request) -> web.StreamResponse:
        return web.json_response(await personas(), headers={"Cache-Control": "no-store"})

    async def file(request: web.Request) -> web.StreamResponse:
        sb = request.app.get(SANDBOX_KEY)
        stored = None if sb is None else sb.world.files.get(request.match_info["file_id"])
        if stored is None or stored.kind not in ("photo", "sticker"):
            raise web.HTTPNotFound(text="no such photo")
        ctype = image_type(stored.content)
        if ctype is None:
            raise web.HTTPNotFound(text="not a displayable image")
        return web.Response(
            body=stored.content,
            content_type=ctype,
            headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    app.router.add_get("/", index)
    app.router.add_get("/static/{name}", static)
    app.router.add_get("/_demo/personas", personas_json)
    app.router.add_get("/_demo/files/{file_id}", file)
