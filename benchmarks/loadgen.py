"""The load generator: Telegram updates posted to a bot's webhook at a fixed rate.

    python -m benchmarks.loadgen '<spec as JSON>'   (prints one line of JSON: every window)

Arrivals are open-loop: update i goes out at start + i / rate whether or not earlier ones have
been answered, so a bot that falls behind sees its latency grow instead of the load easing.
Latency is the POST to the webhook until its answer (the bot handles an update before it
answers). One person's updates never overlap: each synthetic person waits for the answer to
their last update, as someone tapping through a conversation does.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from core.menu import Action as MenuAction
from core.reports.categories import CATEGORIES
from core.reports.draft import Contact

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Button payloads as handlers/callbacks.py and handlers/reports/callbacks.py pack them, written
# out so that this process need not import the bot (tests/test_benchmark_updates.py checks
# that the bot's own classes read them).
MENU_PREFIX = "m1"
REPORT_PREFIX = "r1"
TIMEOUT_SECONDS = 10.0
LATE_SECONDS = 0.005

COMMANDS = ("/start", "/help", "/myreports", "/subscribe")
MENU_BUTTONS = (MenuAction.HELP, MenuAction.PRIVACY, MenuAction.MY_REPORTS, MenuAction.SUBSCRIBE)
PLACES = (
    "Outside the Co-op on the high street, {code}",
    "Bus shelter by the library, {code}",
    "Car park behind the market, {code}",
    "{code}",
)
# Always in the past, whatever the time of day ("today 8am" is refused before 8am).
TYPED_WHEN = ("yesterday 9pm", "last night", "yesterday at 18:30", "2 days ago")
DESCRIPTIONS = (
    "A group of teenagers shouting and throwing bottles at the shop window around closing time.",
    "Someone dumped six black bags and an old sofa at the end of the alley overnight.",
    "Two men drinking on the bench and shouting at people going past the pharmacy.",
    "A man on an e-scooter riding fast along the pavement, nearly hitting a pushchair.",
    "Graffiti sprayed across the new mural and the side of the bus shelter.",
)
ECHO_TEXTS = (
    "hello",
    "/start",
    "/help",
    "Outside the Co-op on the high street, NR1 1AA",
    "yesterday 9pm",
    "Two men drinking on the bench and shouting at people going past the pharmacy.",
)


# --------------------------------------------------------------------------- updates
@dataclass
class User:
    """One synthetic person in a private chat with the bot."""

    id: int
    steps: deque[tuple[str, str]] = field(default_factory=deque)
    flow: str = ""
    seen: int = 0
    prompt_id: int = 1

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": False,
            "first_name": "Member",
            "last_name": str(self.id),
        }


class Updates:
    """Builds update JSON with unique update ids, message ids and callback query ids."""

    def __init__(self, bot_id: int, bot_username: str) -> None:
        self.bot = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "ShopWatch",
            "username": bot_username,
        }
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1_000_000)

    def _chat(self, user: User) -> dict[str, Any]:
        return {"id": user.id, "type": "private", "first_name": "Member", "last_name": str(user.id)}

    def text(self, user: User, text: str) -> bytes:
        """A typed message (a leading /command gets its entity, as Telegram adds it)."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(user),
            "from": user.json(),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return json.dumps({"update_id": next(self._update_ids), "message": message}).encode()

    def press(self, user: User, data: str) -> bytes:
        """A press on an inline button of the bot's message `user.prompt_id`."""
        update_id = next(self._update_ids)
        query = {
            # The benchmark's sandbox accepts answers to any query id with this prefix.
            "id": f"bench-{user.id}-{update_id}",
            "from": user.json(),
            "message": {
                "message_id": user.prompt_id,
                "date": int(time.time()),
                "chat": self._chat(user),
                "from": self.bot,
                "text": "…",
            },
            "chat_instance": str(user.id * 7919),
            "data": data,
        }
        return json.dumps({"update_id": update_id, "callback_query": query}).encode()


def menu_button(action: MenuAction) -> str:
    """A main-menu button's payload."""
    return f"{MENU_PREFIX}:{action.value}"


def report_button(step: str, value: str, flow: str) -> str:
    """A report-conversation button's payload: its step, its value, the conversation's id."""
    return f"{REPORT_PREFIX}:{step}:{value}:{flow}"


# ------------------------------------------------------------------------------ mixes
@dataclass
class Job:
    """One update to post, and what to do once it has been answered."""

    user: User
    kind: str
    body: bytes
    done: Callable[[bool], Any]
    label: str = ""


class ShopWatchMix:
    """40% report-conversation steps, 30% commands, 30% main-menu buttons.

    Each reporter goes through a whole /report conversation (category, sub-type when the
    category has them, place, when, description, skip photos, contact, submit), then starts
    another; the buttons carry the conversation's id, read from the bot's question in the
    sandbox, as a person's client shows it. Browsers send commands and press menu buttons.
    """

    NAME = (
        "report steps 40% (/report, category, sub-type, place, when, description, skip "
        "photos, contact, submit: a whole conversation per person), commands 30% (/start, "
        "/help, /myreports, /subscribe), menu buttons 30% (Help, Privacy, My reports, Alerts "
        "I get)"
    )

    def __init__(
        self,
        updates: Updates,
        reporters: list[int],
        browsers: list[int],
        districts: list[str],
        lookup: Callable[[User], Any],
        seed: int,
    ) -> None:
        self.updates = updates
        self.random = random.Random(seed)
        self.fresh: deque[User] = deque(User(uid) for uid in reporters)
        self.ready: list[User] = []
        self.idle: deque[User] = deque(User(uid) for uid in browsers)
        self.districts = districts
        self.lookup = lookup
        self.kinds = self._kinds()
        self.submitted = 0
        self.abandoned = 0

    def _kinds(self) -> Iterator[str]:
        pattern = ["report"] * 4 + ["command"] * 3 + ["button"] * 3
        while True:
            self.random.shuffle(pattern)
            yield from pattern

    def next(self) -> Job | None:
        """The next update of the mix, or None if every person is waiting for an answer."""
        kind = next(self.kinds)
        if kind == "report":
            return self._report_step()
        if not self.idle:
            return None
        user = self.idle.popleft()
        if kind == "command":
            label = self.random.choice(COMMANDS)
            body = self.updates.text(user, label)
        else:
            action = self.random.choice(MENU_BUTTONS)
            label = f"menu: {action.value}"
            body = self.updates.press(user, menu_button(action))
        return Job(user, kind, body, lambda ok: self.idle.append(user), label)

    def _report_step(self) -> Job | None:
        if self.ready:
            # The conversation nearest its end goes next, so that conversations get finished
            # rather than all crawling along together after a burst has started many.
            user = min(self.ready, key=lambda each: len(each.steps))
            self.ready.remove(user)
            how, value = user.steps.popleft()
            if how == "say":
                body = self.updates.text(user, value)
            else:
                body = self.updates.press(user, value)
                how = f"press {value.split(':')[1]}"
            return Job(user, "report", body, lambda ok: self._stepped(user, ok), f"report: {how}")
        if not self.fresh:
            return None
        user = self.fresh.popleft()
        body = self.updates.text(user, "/report")
        return Job(user, "report", body, lambda ok: self._started(user, ok), "report: /report")

    def _stepped(self, user: User, ok: bool) -> None:
        if not ok:
            self.abandoned += 1
            user.steps.clear()
            self.fresh.append(user)
        elif user.steps:
            self.ready.append(user)
        else:
            self.submitted += 1
            self.fresh.append(user)

    async def _started(self, user: User, ok: bool) -> None:
        if ok and await self.lookup(user):
            user.steps = deque(self._script(user.flow))
            self.ready.append(user)
        else:
            self.abandoned += 1
            self.fresh.append(user)

    def _script(self, flow: str) -> list[tuple[str, str]]:
        pick = self.random.choice
        info = pick(CATEGORIES)

        def press(step: str, value: str = "") -> tuple[str, str]:
            return ("press", report_button(step, value, flow))

        steps = [press("cat", info.category.value)]
        if info.subtypes:
            steps.append(press("sub", str(self.random.randrange(len(info.subtypes)))))
        inward = f"{self.random.randint(1, 9)}{pick('ABDEFGHJ')}{pick('LNPQRSTU')}"
        code = f"{pick(self.districts)} {inward}"
        steps.append(("say", pick(PLACES).format(code=code)))
        if self.random.random() < 0.7:
            steps.append(press("when", pick(("just_now", "earlier_today", "yesterday"))))
        else:
            steps.append(("say", pick(TYPED_WHEN)))
        steps.append(("say", pick(DESCRIPTIONS)))
        steps.append(press("skip"))
        steps.append(press("contact", pick(list(Contact)).value))
        steps.append(press("submit", "1"))
        return steps


class EchoMix:
    """70% plain messages (greetings, commands, the report flow's typed answers), 30% buttons."""

    NAME = "messages 70% (echoed back), button presses 30% (answered)"

    def __init__(self, updates: Updates, users: list[int], seed: int) -> None:
        self.updates = updates
        self.random = random.Random(seed)
        self.idle: deque[User] = deque(User(uid) for uid in users)
        self.submitted = 0
        self.abandoned = 0

    def next(self) -> Job | None:
        if not self.idle:
            return None
        user = self.idle.popleft()
        if self.random.random() < 0.7:
            kind, body = "message", self.updates.text(user, self.random.choice(ECHO_TEXTS))
        else:
            kind, body = "button", self.updates.press(user, f"echo:{self.random.randrange(100)}")
        return Job(user, kind, body, lambda ok: self.idle.append(user))


# ---------------------------------------------------------------------------- windows
@dataclass
class Window:
    """What one fixed-rate window measured."""

    rate: float
    seconds: float
    sent: int = 0
    answered: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    starved: int = 0
    late: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    by_label: dict[str, list[float]] = field(default_factory=dict)

    def percentile(self, share: float) -> float:
        return _at(sorted(self.latencies), share)

    def summary(self, max_p99: float) -> dict[str, Any]:
        p99 = self.percentile(0.99)
        error_count = sum(self.errors.values()) + self.starved
        return {
            "rate": self.rate,
            "seconds": self.seconds,
            "sent": self.sent,
            "answered": self.answered,
            "achieved": self.answered / self.seconds,
            "p50_ms": self.percentile(0.50) * 1000,
            "p99_ms": p99 * 1000,
            "max_ms": max(self.latencies, default=float("inf")) * 1000,
            "errors": dict(self.errors),
            "starved": self.starved,
            "late": self.late,
            "by_kind": dict(self.by_kind),
            "by_label": {
                label: [len(found), _at(sorted(found), 0.5) * 1000, _at(sorted(found), 0.99) * 1000]
                for label, found in sorted(self.by_label.items())
            },
            "passed": p99 < max_p99 and error_count == 0 and self.answered == self.sent,
        }


def _at(ordered: list[float], share: float) -> float:
    if not ordered:
        return float("inf")
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Generator:
    """Posts a mix's updates to one webhook."""

    def __init__(self, spec: dict[str, Any], session: aiohttp.ClientSession) -> None:
        self.spec = spec
        self.session = session
        self.url = spec["webhook_url"]
        self.headers = {"Content-Type": "application/json", SECRET_HEADER: spec["secret"]}
        updates = Updates(spec["bot_id"], spec["bot_username"])
        reporters = list(range(*spec["reporters"]))
        browsers = list(range(*spec["browsers"]))
        self.mix: ShopWatchMix | EchoMix
        if spec["kind"] == "shopwatch":
            self.mix = ShopWatchMix(
                updates, reporters, browsers, spec["districts"], self.lookup, spec["seed"]
            )
        else:
            self.mix = EchoMix(updates, reporters + browsers, spec["seed"])
        self.pending: set[asyncio.Task[None]] = set()
        self.sent = 0

    async def quiet(self) -> None:
        """Waits (up to a minute) until the bot answers /healthz within 100 ms twice running.

        A bot that fell behind goes on handling the updates whose senders gave up waiting;
        the next window should not start on that backlog.
        """
        health = self.url.split("/", 3)
        url = "/".join([*health[:3], "healthz"])
        quick = 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while quick < 2 and loop.time() < deadline:
            started = loop.time()
            try:
                async with self.session.get(url) as answer:
                    await answer.read()
                quick = quick + 1 if loop.time() - started < 0.1 else 0
            except (aiohttp.ClientError, TimeoutError):
                quick = 0
            await asyncio.sleep(0.5)

    async def lookup(self, user: User) -> bool:
        """Reads the conversation's id from the buttons of the bot's newest question."""
        url = f"{self.spec['sandbox_url']}/_sandbox/chats/{user.id}/messages"
        params = {"after": str(user.seen), "sender": "bot"}
        async with self.session.get(url, params=params) as response:
            found = (await response.json())["result"]
        for message in found:
            user.seen = max(user.seen, int(message["message_id"]))
        for message in reversed(found):
            for row in (message.get("reply_markup") or {}).get("rows", []):
                for button in row:
                    data = str(button.get("callback_data") or "")
                    if data.startswith(REPORT_PREFIX + ":"):
                        user.flow = data.rsplit(":", 1)[-1]
                        user.prompt_id = int(message["message_id"])
                        return True
        return False

    async def _post(self, job: Job, window: Window | None) -> None:
        started = time.perf_counter()
        ok = False
        try:
            async with self.session.post(self.url, data=job.body, headers=self.headers) as answer:
                await answer.read()
                ok = answer.status == 200
                if not ok and window is not None:
                    window.errors[f"HTTP {answer.status}"] += 1
        except (aiohttp.ClientError, TimeoutError) as error:
            if window is not None:
                window.errors[type(error).__name__] += 1
        if window is not None and ok:
            latency = time.perf_counter() - started
            window.latencies.append(latency)
            window.by_label.setdefault(job.label or job.kind, []).append(latency)
            window.answered += 1
        outcome = job.done(ok)
        if asyncio.iscoroutine(outcome):
            await outcome

    async def window(self, rate: float, seconds: float, *, measured: bool = True) -> Window:
        """Sends `rate` updates a second for `seconds`; waits for every answer."""
        window = Window(rate, seconds)
        loop = asyncio.get_running_loop()
        total = max(1, round(rate * seconds))
        start = loop.time() + 0.01
        for index in range(total):
            due = start + index / rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            elif -delay > LATE_SECONDS:
                window.late += 1
            job = self.mix.next()
            if job is None:
                window.starved += 1
                continue
            window.sent += 1
            self.sent += 1
            window.by_kind[job.kind] += 1
            task = asyncio.create_task(self._post(job, window if measured else None))
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)
        if self.pending:
            await asyncio.wait(set(self.pending))
        return window


async def search(spec: dict[str, Any]) -> dict[str, Any]:
    """Warms up, then steps the rate up (doubling) and bisects to the highest passing rate."""
    plan = spec["plan"]
    max_p99 = plan["max_p99_ms"] / 1000
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    windows: list[dict[str, Any]] = []
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        generator = Generator(spec, session)
        if plan["warmup_seconds"] > 0:
            await generator.window(plan["warmup_rate"], plan["warmup_seconds"], measured=False)

        async def attempt(rate: float) -> bool:
            await asyncio.sleep(plan["settle_seconds"])
            await generator.quiet()
            result = (await generator.window(rate, plan["window_seconds"])).summary(max_p99)
            windows.append(result)
            print(  # noqa: T201
                f"  {spec['kind']}: {rate:7.1f}/s p50 {result['p50_ms']:6.1f} ms "
                f"p99 {result['p99_ms']:7.1f} ms errors {sum(result['errors'].values())} "
                f"{'pass' if result['passed'] else 'FAIL'}",
                file=sys.stderr,
                flush=True,
            )
            if plan.get("verbose"):
                for label, (count, p50, p99) in result["by_label"].items():
                    line = f"    {label:28} {count:6} p50 {p50:7.1f} p99 {p99:7.1f}"
                    print(line, file=sys.stderr)  # noqa: T201
            return bool(result["passed"])

        passed, failed = 0.0, 0.0
        rate = float(plan["start_rate"])
        # Up by doubling while windows pass; down by halving while they fail.
        while plan["min_rate"] <= rate <= plan["max_rate"]:
            if await attempt(rate):
                passed = rate
                if failed:
                    break
                rate *= 2
            else:
                failed = rate
                if passed:
                    break
                rate /= 2
        if passed and failed:
            for _ in range(plan["bisect_steps"]):
                middle = round((passed + failed) / 2, 1)
                if middle - passed < plan["resolution"]:
                    break
                if await attempt(middle):
                    passed = middle
                else:
                    failed = middle
    best = max(
        (window for window in windows if window["passed"]),
        key=lambda window: window["rate"],
        default=None,
    )
    return {
        "kind": spec["kind"],
        "mix": generator.mix.NAME,
        "windows": windows,
        "best": best,
        "first_failure": failed or None,
        "sent": generator.sent,
        "conversations_submitted": generator.mix.submitted,
        "conversations_abandoned": generator.mix.abandoned,
    }


def main(argv: list[str]) -> int:
    """Runs the search described by the JSON spec in argv[0]; prints the result as JSON."""
    result = asyncio.run(search(json.loads(argv[0])))
    print(json.dumps(result))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
