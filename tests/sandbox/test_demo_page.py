"""The demo page: its routes over HTTP, and that demo.js only calls routes that exist."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from yarl import URL

from sandbox.client import SandboxClient
from sandbox.demo_page import STATIC_FILES, add_demo_routes, static_text
from sandbox.files import make_png
from sandbox.server import create_app
from sandbox.state import DEFAULT_TOKEN, DEFAULT_USERNAME, Sandbox


@dataclass
class Demo:
    base_url: str
    sb: SandboxClient
    http: aiohttp.ClientSession
    personas: dict[str, Any]


@pytest.fixture
async def demo() -> AsyncIterator[Demo]:
    """A sandbox on loopback with the demo page mounted and two people and a group in it."""
    personas: dict[str, Any] = {}

    async def get_personas() -> dict[str, Any]:
        return personas

    sandbox = Sandbox([(DEFAULT_TOKEN, DEFAULT_USERNAME)])
    app = create_app(sandbox)
    add_demo_routes(app, get_personas)
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    base_url = f"http://{host}:{port}"
    http = aiohttp.ClientSession()
    sb = SandboxClient(base_url, session=http)
    try:
        bot = (await sb.bots())[0]
        priya = await sb.create_user("Priya", "Shah", started=True)
        tom = await sb.create_user("Tom", "Okafor", started=True)
        grp = await sb.create_group(
            "Market Town Shop Watch", creator_id=priya.id, members=[priya.id, tom.id]
        )
        personas.update(
            bot={"id": bot["id"], "username": bot["username"], "name": "ShopWatch"},
            personas=[
                {
                    "user_id": priya.id,
                    "name": "Priya Shah",
                    "role": "coordinator",
                    "blurb": "Runs Market Town Shop Watch",
                },
                {
                    "user_id": tom.id,
                    "name": "Tom Okafor",
                    "role": "member",
                    "blurb": "Runs the corner shop",
                },
            ],
            groups=[{"chat_id": grp.id, "title": grp.title}],
        )
        yield Demo(base_url, sb, http, personas)
    finally:
        await http.close()
        await runner.cleanup()


async def get(demo: Demo, path: str) -> tuple[int, str, bytes]:
    """GET ``path`` exactly as written (no client-side normalisation of ``..`` or ``%2f``)."""
    async with demo.http.get(URL(demo.base_url + path, encoded=True)) as resp:
        return resp.status, resp.content_type, await resp.read()


# ------------------------------------------------------------------------ HTTP
async def test_index_is_the_page_and_references_its_assets(demo: Demo) -> None:
    status, ctype, body = await get(demo, "/")
    assert status == 200
    assert ctype == "text/html"
    html = body.decode()
    assert 'src="/static/demo.js"' in html
    assert 'href="/static/demo.css"' in html
    assert "Local demo" in html


@pytest.mark.parametrize(
    ("name", "ctype"),
    [("index.html", "text/html"), ("demo.js", "text/javascript"), ("demo.css", "text/css")],
)
async def test_static_files_are_served_with_their_content_type(
    demo: Demo, name: str, ctype: str
) -> None:
    status, got, body = await get(demo, f"/static/{name}")
    assert status == 200
    assert got == ctype
    assert body.decode() == static_text(name)


@pytest.mark.parametrize(
    "path",
    [
        "/static/..%2fserver.py",
        "/static/..%2Fserver.py",
        "/static/%2e%2e%2fserver.py",
        "/static/..%2f..%2fpyproject.toml",
        "/static/../server.py",
        "/static/..",
        "/static/server.py",
        "/static/demo_page.py",
        "/static/.%2findex.html",
        "/static/",
        "/static/nope.js",
    ],
)
async def test_only_the_page_files_are_served(demo: Demo, path: str) -> None:
    status, _, body = await get(demo, path)
    assert status == 404
    assert b"import" not in body


async def test_personas_json(demo: Demo) -> None:
    async with demo.http.get(f"{demo.base_url}/_demo/personas") as resp:
        assert resp.status == 200
        assert resp.content_type == "application/json"
        data = await resp.json()
    assert data == demo.personas
    assert data["bot"]["name"] == "ShopWatch"
    assert [p["name"] for p in data["personas"]] == ["Priya Shah", "Tom Okafor"]
    assert data["groups"][0]["chat_id"] < 0


async def test_photos_are_served_for_thumbnails(demo: Demo) -> None:
    priya = demo.personas["personas"][0]["user_id"]
    png = make_png(40, 30)
    (msg,) = await demo.sb.send_photo(priya, data=png, caption="Shoplifter, blue hoodie")
    sizes = msg.raw["media"]["photo"]
    status, ctype, body = await get(demo, f"/_demo/files/{sizes[-1]['file_id']}")
    assert (status, ctype, body) == (200, "image/png", png)
    assert (await get(demo, "/_demo/files/AgACnope"))[0] == 404


async def test_documents_are_not_served_as_files(demo: Demo) -> None:
    priya = demo.personas["personas"][0]["user_id"]
    doc = await demo.sb.send_document(priya, "notes.pdf", b"%PDF-1.4 secret")
    file_id = doc.raw["media"]["document"]["file_id"]
    assert (await get(demo, f"/_demo/files/{file_id}"))[0] == 404


# ------------------------------------------------------------ page <-> API drift
PATH_RE = re.compile(r"[`\"'](/_(?:sandbox|demo)/(?:[^`\"'?\s$]|\$\{[^}]*\})*)")
CALL_RE = re.compile(r"""api\(\s*"(GET|POST|DELETE|PUT|PATCH)"\s*,\s*$""")
PLACEHOLDER_RE = re.compile(r"\$\{[^}]*\}")


def js_calls() -> list[tuple[str, str]]:
    """(method, path) for every ``/_sandbox/`` and ``/_demo/`` string literal in demo.js.

    A URL passed straight to ``api("METHOD", ...)`` uses that method; any other
    (``fetch``, ``EventSource``, ``<img src>``) is a GET. ``${...}`` becomes ``1``.
    """
    js = static_text("demo.js")
    calls = []
    for match in PATH_RE.finditer(js):
        method = CALL_RE.search(js[max(0, match.start() - 40) : match.start()])
        path = PLACEHOLDER_RE.sub("1", match.group(1))
        calls.append((method.group(1) if method else "GET", path))
    return calls


async def test_every_api_path_the_page_uses_exists() -> None:
    app = create_app(Sandbox())
    add_demo_routes(app, _no_personas)
    calls = js_calls()
    used = {path for _, path in calls}
    # The parser really sees the page's calls (a guard against the regex rotting).
    for expected in (
        "/_sandbox/events",
        "/_sandbox/events/poll",
        "/_sandbox/users/1/send",
        "/_sandbox/users/1/press",
        "/_sandbox/chats/1/transcript",
        "/_demo/personas",
        "/_demo/files/1",
    ):
        assert expected in used, f"{expected} not found in demo.js"
    missing = []
    for method, path in calls:
        match = await app.router.resolve(make_mocked_request(method, path, app=app))
        if match.http_exception is not None:
            missing.append(f"{method} {path} -> {match.http_exception.status}")
    assert not missing, f"demo.js calls routes the app lacks: {missing}"


async def _no_personas() -> dict[str, Any]:
    return {"bot": {}, "personas": [], "groups": []}


def test_page_has_the_test_ids_and_no_external_assets() -> None:
    html = static_text("index.html")
    js = static_text("demo.js")
    for testid in (
        "composer-input",
        "composer-send",
        "photo-input",
        "location-open",
        "location-lat",
        "location-lon",
        "location-send",
    ):
        assert f'data-testid="{testid}"' in html, testid
    for testid in ('"message"', '"inline-button"', "`persona-${", "`group-${"):
        assert f'"data-testid": {testid}' in js, testid
    for text in (html, static_text("demo.css")):
        assert not re.search(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", text)
        assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", text)
        assert "@import" not in text
    assert not re.search(r"""\bimport\s*\(|^\s*import\s""", js, re.MULTILINE)
    # every <label for> points at a real element
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    for target in re.findall(r'<label[^>]*\bfor="([^"]+)"', html):
        assert target in ids, target


def test_static_files_ship_with_the_package() -> None:
    folder = resources.files("sandbox").joinpath("static")
    assert sorted(p.name for p in folder.iterdir() if p.name in STATIC_FILES) == sorted(
        STATIC_FILES
    )
