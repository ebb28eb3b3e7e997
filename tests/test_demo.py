"""`shopwatch run` with no token starts the local demo, which a newcomer can play with."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from sandbox.client import SandboxClient
from tests.support.backends import IN_CI
from tests.support.live import free_port

RESIDENT_DAN = 1004

pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class RunningDemo:
    url: str
    banner: list[str]
    process: asyncio.subprocess.Process


async def read_banner(process: asyncio.subprocess.Process, until: str) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    async with asyncio.timeout(60):
        while True:
            line = (await process.stdout.readline()).decode()
            if not line:
                raise AssertionError(f"demo exited before printing its address: {lines}")
            lines.append(line.rstrip())
            if until in line:
                return lines


async def start_demo(folder: Path) -> AsyncIterator[RunningDemo]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "DATABASE_URL")}
    env["DEMO_PORT"] = str(port)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--demo-without-token",
        cwd=folder,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        banner = await read_banner(process, "in your browser")
        yield RunningDemo(f"http://127.0.0.1:{port}", banner, process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningDemo]:
    """One demo shared by the tests that only look at it."""
    async for running in start_demo(tmp_path_factory.mktemp("demo")):
        yield running


@pytest_asyncio.fixture(loop_scope="module")
async def own_demo(tmp_path: Path) -> AsyncIterator[RunningDemo]:
    """A demo this test may stop."""
    async for running in start_demo(tmp_path):
        yield running


async def test_without_a_token_run_prints_the_demo_address(demo: RunningDemo) -> None:
    assert "BOT_TOKEN is not set, so this is the local demo" in demo.banner[0]
    assert f"open {demo.url}/ in your browser" in demo.banner[-1]


async def test_the_demo_page_and_its_people_are_served(demo: RunningDemo) -> None:
    async with aiohttp.ClientSession() as http:
        page = await http.get(f"{demo.url}/")
        assert page.status == 200
        assert "ShopWatch" in await page.text()
        people = await (await http.get(f"{demo.url}/_demo/personas")).json()
    roles = {person["role"] for person in people["personas"]}
    assert roles == {"coordinator", "trader", "resident"}
    assert people["groups"][0]["title"] == "Market Town Shop Watch"


async def test_a_demo_resident_can_talk_to_the_real_bot(demo: RunningDemo) -> None:
    async with SandboxClient(demo.url) as sandbox:
        await sandbox.send_text(RESIDENT_DAN, "/start")
        reply = await sandbox.wait_for_message(RESIDENT_DAN, timeout=10)
    assert "Hello Dan, this is ShopWatch." in reply.body


async def test_ctrl_c_stops_the_demo_cleanly(own_demo: RunningDemo) -> None:
    own_demo.process.send_signal(signal.SIGINT)
    async with asyncio.timeout(20):
        assert await own_demo.process.wait() == 0


async def test_a_busy_port_is_reported_in_one_line(demo: RunningDemo, tmp_path: Path) -> None:
    port = demo.url.rsplit(":", 1)[1]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "demo",
        "--port",
        port,
        cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(60):
        _, stderr = await process.communicate()
    assert process.returncode == 1
    lines = stderr.decode().strip().splitlines()
    assert lines == [lines[0]] and lines[0].startswith(
        f"shopwatch: Cannot start the demo on port {port}"
    )


CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", "test-artifacts"))
# Chromium's own background traffic is refused on a closed network; keep it quiet.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    """Skips without Chromium locally; under CI its absence is a failure."""
    if CHROMIUM.exists():
        return
    if IN_CI:
        pytest.fail("CI needs Debian's chromium for the browser test (apt-get install chromium)")
    pytest.skip("no /usr/bin/chromium here")


def artifacts_folder() -> Path:
    """Where screenshots are kept after the run."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


async def test_a_resident_chats_with_the_bot_in_a_browser(demo: RunningDemo) -> None:
    require_chromium()
    artifacts = artifacts_folder()
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            await page.goto(f"{demo.url}/")
            await page.get_by_test_id("persona-1005").click()

            await page.get_by_test_id("composer-input").fill("/start")
            await page.get_by_test_id("composer-send").click()
            from_bot = page.locator('[data-testid="message"][data-from="bot"]')
            await expect(from_bot.filter(has_text="Hello Mei, this is ShopWatch.")).to_be_visible(
                timeout=15_000
            )

            await page.get_by_test_id("inline-button").filter(has_text="Privacy").first.click()
            await expect(from_bot.filter(has_text="ShopWatch privacy notice")).to_be_visible(
                timeout=15_000
            )
            await page.screenshot(path=str(artifacts / "demo-resident-chat.png"), full_page=True)
        finally:
            await browser.close()
