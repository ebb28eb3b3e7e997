"""The update benchmark's pieces work: its generator drives a webhook bot through the sandbox.

Nothing here is timed: the benchmark (`python -m benchmarks.updates`) measures speed; these
tests check that it sends what it says, that the bot under load answers through the sandbox,
and that its report lands in its own section of BENCHMARKS.md.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from benchmarks.loadgen import (
    DESCRIPTIONS,
    MENU_BUTTONS,
    PLACES,
    TYPED_WHEN,
    ShopWatchMix,
    Updates,
    User,
    menu_button,
)
from benchmarks.updates import (
    BOT_ID,
    BOT_USERNAME,
    END,
    ROOT,
    START,
    TOKEN,
    WEBHOOK_PATH,
    bot_environment,
    run_generator,
    start_sandbox,
    stop,
    wait_until_up,
    write_section,
)
from core.reports.categories import category_info
from core.reports.parsing import check_description, parse_place, parse_when
from handlers.callbacks import MenuCallback
from handlers.reports.callbacks import ReportStepCallback, Step
from sandbox.client import SandboxClient
from tests.support.backends import IN_CI, REDIS_URL, clear_redis_prefix, postgres_problem
from tests.support.live import free_port

PEOPLE = range(930_000_001, 930_000_041)


@dataclass(frozen=True)
class EchoBot:
    """The bare aiogram echo bot, running in webhook mode in its own process."""

    webhook_url: str
    secret: str


@pytest.fixture
def sandbox_url() -> Iterator[str]:
    """The benchmark's sandbox (limits off, made-up button presses accepted) with 40 people."""
    port = free_port()
    process = start_sandbox(port, [[PEOPLE.start, PEOPLE.stop]])
    yield f"http://127.0.0.1:{port}"
    stop(process, 10.0)


def start_echo_bot(environment: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as stream:
        return subprocess.Popen(
            [sys.executable, "-m", "benchmarks.echo_bot"],
            env=environment,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stream,
        )


@pytest.fixture
async def echo_bot(sandbox_url: str, tmp_path: Path) -> AsyncIterator[EchoBot]:
    """`python -m benchmarks.echo_bot` on the shared Redis, under a key prefix of its own."""
    problem = postgres_problem()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"CI requires Redis: cannot reach {problem}")
        pytest.skip(f"needs Redis: cannot reach {problem}")
    port, prefix, secret = free_port(), f"sw-bench-{uuid.uuid4().hex[:10]}", secrets.token_hex(8)
    environment = bot_environment(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=sandbox_url,
        REDIS_URL=REDIS_URL,
        REDIS_PREFIX=prefix,
        WEBHOOK_LISTEN=f"127.0.0.1:{port}",
        WEBHOOK_PATH=WEBHOOK_PATH,
        WEBHOOK_SECRET=secret,
    )
    log = tmp_path / "echo.log"
    process = await asyncio.to_thread(start_echo_bot, environment, log)
    try:
        await wait_until_up(process, f"http://127.0.0.1:{port}/healthz", log)
        yield EchoBot(f"http://127.0.0.1:{port}{WEBHOOK_PATH}", secret)
    finally:
        await asyncio.to_thread(stop, process, 10.0)
        await clear_redis_prefix(prefix)


def one_window(bot: EchoBot, sandbox_url: str, *, rate: float, seconds: float) -> dict[str, Any]:
    """What the generator needs for a single window at `rate`, with no warm-up."""
    return {
        "kind": "echo",
        "webhook_url": bot.webhook_url,
        "secret": bot.secret,
        "sandbox_url": sandbox_url,
        "bot_id": BOT_ID,
        "bot_username": BOT_USERNAME,
        "reporters": [PEOPLE.start, PEOPLE.start + 20],
        "browsers": [PEOPLE.start + 20, PEOPLE.stop],
        "districts": ["NR1"],
        "plan": {
            "warmup_rate": rate,
            "warmup_seconds": 0,
            "start_rate": rate,
            "min_rate": rate,
            "max_rate": rate,
            "window_seconds": seconds,
            "bisect_steps": 0,
            "resolution": 1.0,
            "settle_seconds": 0,
            "max_p99_ms": 100.0,
        },
        "seed": 3,
    }


@pytest.mark.timeout(120)
async def test_the_generator_drives_the_echo_bot_and_counts_refusals_as_errors(
    echo_bot: EchoBot, sandbox_url: str
) -> None:
    async with SandboxClient(sandbox_url) as sandbox:
        await sandbox.reset_calls()

        result = await asyncio.to_thread(
            run_generator, one_window(echo_bot, sandbox_url, rate=6.0, seconds=2.0)
        )

        calls = await sandbox.calls()
    [window] = result["windows"]
    assert (window["rate"], window["sent"], window["answered"]) == (6.0, 12, 12)
    assert window["errors"] == {}
    assert window["starved"] == 0
    assert 0 < window["p50_ms"] <= window["p99_ms"] <= window["max_ms"] < math.inf
    assert sum(window["by_kind"].values()) == 12
    # Every message was echoed and every press answered, through the sandbox.
    assert calls.count("sendMessage") == window["by_kind"].get("message", 0)
    assert calls.count("answerCallbackQuery") == window["by_kind"].get("button", 0)
    assert calls.errors_4xx == 0
    assert result["sent"] == 12
    assert "messages 70%" in result["mix"]

    impostor = EchoBot(echo_bot.webhook_url, "not-the-secret")
    refused = await asyncio.to_thread(
        run_generator, one_window(impostor, sandbox_url, rate=5.0, seconds=1.0)
    )

    [window] = refused["windows"]
    assert window["errors"] == {"HTTP 401": 5}
    assert window["answered"] == 0
    assert window["passed"] is False
    assert refused["best"] is None


def test_each_reporter_walks_a_whole_conversation_the_bot_understands() -> None:
    async def no_lookup(_user: User) -> bool:
        return True

    mix = ShopWatchMix(Updates(BOT_ID, BOT_USERNAME), [1], [2], ["NR1", "CB2"], no_lookup, 11)

    for _ in range(50):
        script = mix._script("f00dcafe")
        presses = [ReportStepCallback.unpack(value) for how, value in script if how == "press"]
        typed = [value for how, value in script if how == "say"]
        assert all(press.flow == "f00dcafe" for press in presses)
        assert presses[0].step == Step.CATEGORY
        has_subtypes = bool(category_info(presses[0].value).subtypes)
        assert (presses[1].step == Step.SUBTYPE) is has_subtypes
        assert [press.step for press in presses[-3:]] == [Step.SKIP, Step.CONTACT, Step.SUBMIT]
        assert presses[-1].value == "1"
        assert any(district in typed[0] for district in ("NR1", "CB2"))
        assert len(typed) + len(presses) == 7 + has_subtypes


def test_every_typed_answer_is_one_the_bot_accepts_at_any_hour() -> None:
    london = ZoneInfo("Europe/London")
    for hour in range(24):
        now = datetime(2026, 11, 23, hour, 30, tzinfo=london)
        for typed in TYPED_WHEN:
            assert parse_when(typed, now, london).occurred_at <= now
    for place in PLACES:
        assert parse_place(place.format(code="NR1 3AL")).postcode == "NR1 3AL"
    for description in DESCRIPTIONS:
        assert check_description(description) == description


def test_the_menu_buttons_pressed_are_the_bots_own() -> None:
    for action in MENU_BUTTONS:
        assert MenuCallback.unpack(menu_button(action)).action == action


def test_the_results_go_between_their_markers_and_nothing_else_changes(tmp_path: Path) -> None:
    path = tmp_path / "BENCHMARKS.md"
    broadcast = "<!-- broadcast:start -->\n## Broadcast engine\n\n| a |\n<!-- broadcast:end -->\n"
    path.write_text(f"# Benchmarks\n\n{broadcast}")

    write_section(path, "## Update handling (webhook)\n\nfirst run\n")
    first = path.read_text()
    write_section(path, "## Update handling (webhook)\n\nsecond run\n")
    second = path.read_text()

    assert first.startswith(f"# Benchmarks\n\n{broadcast}\n{START}\n## Update handling")
    assert "first run" in first and first.endswith(f"{END}\n")
    assert second == first.replace("first run", "second run")
    assert second.count(START) == 1 and second.count(END) == 1
