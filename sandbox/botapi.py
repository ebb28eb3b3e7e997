"""HTTP layer of the Bot API: ``/bot<token>/<method>`` and ``/file/bot<token>/<path>``."""

from __future__ import annotations

import json
import logging
import mimetypes
from typing import Any

from aiohttp import web

from sandbox.errors import UNAUTHORIZED, ApiError, too_many_requests
from sandbox.faults import Fault
from sandbox.methods import REGISTRY
from sandbox.spec import UploadedFile
from sandbox.state import Sandbox

logger = logging.getLogger(__name__)

SANDBOX_KEY = web.AppKey("sandbox", Sandbox)


def answer(status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status)


async def read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Parameters from the query string and a JSON, urlencoded or multipart body."""
    raw: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.method != "POST" or not request.can_read_body:
        return raw, files
    ctype = request.content_type
    if ctype == "application/json":
        try:
            body = json.loads(await request.read() or b"{}")
        except ValueError as exc:
            raise ApiError(400, "Bad Request: can't parse JSON request body") from exc
        if not isinstance(body, dict):
            raise ApiError(400, "Bad Request: request body must be a JSON object")
        raw.update(body)
    elif ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                upload = UploadedFile(value.filename or key, value.file.read(), value.content_type)
                files[key] = upload
                raw[key] = upload
            else:
                raw[key] = value if isinstance(value, str) else bytes(value).decode()
    return raw, files


async def bot_api(request: web.Request) -> web.StreamResponse:
    sb = request.app[SANDBOX_KEY]
    bot = sb.bot_by_token(request.match_info["token"])
    method = request.match_info["method"]
    if bot is None:
        return answer(401, UNAUTHORIZED.to_json())
    mdef = REGISTRY.get(method.lower())
    fault = sb.faults.take(mdef.name.lower()) if mdef is not None else None
    if fault is not None and not fault.after_execute:
        return await apply_fault(sb, request, fault, mdef.name if mdef else method)
    try:
        raw, files = await read_params(request)
    except ApiError as exc:
        return answer(exc.code, exc.to_json())
    status, body = await sb.call(bot, method, raw, files)
    if fault is not None:
        return await apply_fault(sb, request, fault, mdef.name if mdef else method)
    return answer(status, body)


async def apply_fault(
    sb: Sandbox, request: web.Request, fault: Fault, method: str
) -> web.StreamResponse:
    logger.info("injecting fault %s into %s", fault.kind, method)
    sb.events.emit("fault", {"method": method, "kind": fault.kind})
    if fault.kind == "429":
        sb.stats.record(method, 429)
        err = too_many_requests(fault.retry_after)
        return answer(429, err.to_json())
    if fault.kind == "500":
        sb.stats.record(method, 500)
        return answer(500, {"ok": False, "error_code": 500, "description": "Internal Server Error"})
    if fault.kind == "502":
        sb.stats.record(method, 502)
        return web.Response(
            status=502,
            text="<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
            content_type="text/html",
        )
    sb.stats.record(method, 0)
    if fault.kind == "timeout":
        # Hold the connection; the client gives up first (the handler is cancelled
        # when it disconnects), or the sandbox stops.
        await sb.closing.wait(fault.hold_seconds)
        return answer(500, {"ok": False, "error_code": 500, "description": "Internal Server Error"})
    # reset: drop the connection without an answer.
    transport = request.transport
    if transport is not None:
        transport.abort()
    # Nothing reaches the client; aiohttp drops this answer on the closed transport.
    return web.Response(status=500)


async def download(request: web.Request) -> web.StreamResponse:
    sb = request.app[SANDBOX_KEY]
    bot = sb.bot_by_token(request.match_info["token"])
    if bot is None:
        return answer(401, UNAUTHORIZED.to_json())
    stored = sb.world.files.by_path(request.match_info["path"])
    if stored is None:
        return answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
    ctype = stored.mime_type or mimetypes.guess_type(request.match_info["path"])[0]
    return web.Response(body=stored.content, content_type=ctype or "application/octet-stream")


async def not_found(request: web.Request) -> web.StreamResponse:
    return answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})


def add_routes(app: web.Application) -> None:
    app.router.add_route("*", "/bot{token}/{method}", bot_api)
    app.router.add_get("/file/bot{token}/{path:.+}", download)
    app.router.add_route("*", "/bot{token}/", not_found)
    app.router.add_route("*", "/bot{token}", not_found)
