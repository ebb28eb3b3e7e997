"""How many updates a second ShopWatch handles in webhook mode, beside a bare aiogram echo bot.

    python -m benchmarks.updates [--output BENCHMARKS.md] [--quick]

Each bot runs as its own process in webhook mode on loopback: ShopWatch as `python -m bot
run` (PostgreSQL with 100,000 members seeded, Redis for conversation state), the echo bot as
`python -m benchmarks.echo_bot` (Redis only). A load generator in another process
(benchmarks/loadgen.py) posts a realistic mix of updates to the webhook at a fixed rate for
a window, doubling the rate and then bisecting, to find the highest rate whose p99 latency
stays under 100 ms with no errors. The bots' replies go to the sandbox (Telegram's stand-in),
in a process of its own with its limits off. Redis is a private `redis-server` started for
the run (ShopWatch's key prefix is fixed, so a private server keeps its keys apart from
everyone else's); PostgreSQL is the machine's server, with a database created for the run.
Results are written between `<!-- updates:start -->` and `<!-- updates:end -->` in the output.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.broadcast import create_postgres, drop_postgres, free_port, machine
from benchmarks.seed import Town, seed_town

TOKEN = "123456:TEST-token"
BOT_ID = 123456
BOT_USERNAME = "shopwatch_test_bot"
FIRST_USER = 700_000_001
MEMBERS = 100_000
MAX_P99_MS = 100.0
TARGET_RATIO = 0.5
TARGET_PEAK_MB = 300.0
WEBHOOK_PATH = "/telegram/webhook"
# The flood limit still counts every update in Redis; raised so that no synthetic person,
# who may send a few updates a second at the highest rates, is ever throttled.
FLOOD_LIMIT = 100_000
START, END = "<!-- updates:start -->", "<!-- updates:end -->"
ROOT = Path(__file__).resolve().parent.parent

FULL_PLAN: dict[str, Any] = {
    "warmup_rate": 20.0,
    "warmup_seconds": 5.0,
    "start_rate": 25.0,
    "min_rate": 1.0,
    "max_rate": 5000.0,
    "window_seconds": 15.0,
    "bisect_steps": 3,
    "resolution": 5.0,
    "settle_seconds": 2.0,
    "max_p99_ms": MAX_P99_MS,
}
QUICK_PLAN: dict[str, Any] = FULL_PLAN | {
    "warmup_seconds": 1.0,
    "window_seconds": 3.0,
    "bisect_steps": 1,
    "resolution": 10.0,
    "settle_seconds": 0.5,
}


# ---------------------------------------------------------------------------- sandbox process
async def serve_sandbox(port: int, users: list[list[int]]) -> None:
    """The sandbox with its limits off and these people; prints `ready` once it listens."""
    from sandbox.actions import Actions
    from sandbox.limits import LimitConfig
    from sandbox.server import SandboxServer
    from sandbox.world import CallbackQuery

    off = LimitConfig(
        bot_enabled=False, paid_enabled=False, private_enabled=False, group_enabled=False
    )
    server = SandboxServer(TOKEN, BOT_USERNAME, limits=off)
    world = server.sandbox.world
    bot = server.sandbox.default_bot

    class OpenQueries(dict[str, CallbackQuery]):
        """Button presses the generator made up: any `bench-<user>-<n>` id may be answered."""

        def get(self, key: str, default: Any = None) -> Any:
            found = super().get(key)
            if found is None and key.startswith("bench-"):
                user = int(key.split("-")[1])
                found = CallbackQuery(key, user, bot.id, user, 0, None, time.monotonic())
                self[key] = found
            return default if found is None else found

    world.callback_queries = OpenQueries()
    actions = Actions(server.sandbox)
    for first, last in users:
        for user_id in range(first, last):
            user = actions.create_user("Member", str(user_id), user_id=user_id)
            user.started_bots.add(bot.id)
            world.private_chat(bot.id, user_id, create=True)
    await server.start("127.0.0.1", port)
    print("ready", flush=True)  # noqa: T201
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


# ------------------------------------------------------------------------------ processes
def process_memory(pid: int) -> dict[str, float]:
    """A process's resident memory now and its high-water mark, in MB."""
    found: dict[str, float] = {}
    with Path(f"/proc/{pid}/status").open() as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) / 1024
    return found


def cpu_seconds(pid: int) -> float:
    """The CPU time a process has used so far (user and system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_sandbox(port: int, users: list[list[int]]) -> subprocess.Popen[str]:
    """The sandbox in a process of its own, once it is listening."""
    spec = json.dumps({"port": port, "users": users})
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.updates", "sandbox", spec],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        process.kill()
        raise RuntimeError("the sandbox did not start")
    return process


def start_redis(port: int, workdir: Path) -> subprocess.Popen[bytes]:
    """A private Redis like the machine's (no snapshots, no append-only file)."""
    return subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(process: subprocess.Popen[Any] | None, grace: float = 20.0) -> None:
    """SIGTERM, then SIGKILL if it has not gone within `grace` seconds."""
    if process is None:
        return
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


def bot_environment(**values: str) -> dict[str, str]:
    """This process's environment without any ShopWatch setting, plus `values`."""
    settings = ("BOT_", "DATABASE_", "REDIS_", "TELEGRAM_", "WEBHOOK_", "BROADCAST_", "FLOOD_")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(settings)}
    environment.update(values)
    return environment


def bot_command(kind: str, module: str, *arguments: str) -> list[str]:
    """`python -m module`, under cProfile when BENCH_PROFILE names where profiles go.

    BENCH_SHOPWATCH_COMMAND replaces ShopWatch's command (to try a change without editing).
    """
    replaced = os.environ.get("BENCH_SHOPWATCH_COMMAND")
    if replaced and kind == "shopwatch":
        return shlex.split(replaced)
    profile = os.environ.get("BENCH_PROFILE")
    if profile:
        return [
            sys.executable,
            "-m",
            "cProfile",
            "-o",
            f"{profile}.{kind}.prof",
            "-m",
            module,
            *arguments,
        ]
    return [sys.executable, "-m", module, *arguments]


def start_sampling(kind: str, pid: int) -> subprocess.Popen[bytes] | None:
    """py-spy sampling the bot while it is under load, when BENCH_PYSPY names py-spy."""
    py_spy = os.environ.get("BENCH_PYSPY")
    if not py_spy:
        return None
    output = Path(tempfile.gettempdir()) / f"shopwatch-updates-{kind}-{os.getpid()}.pyspy"
    print(f"sampling {kind} into {output}", file=sys.stderr)  # noqa: T201
    return subprocess.Popen(
        [py_spy, "record", "-p", str(pid), "-r", "100", "-f", "raw", "-o", str(output)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_sampling(spy: subprocess.Popen[bytes] | None) -> None:
    """Stops py-spy, which then writes its samples."""
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)


async def wait_until_up(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    """Returns once GET `url` answers 200; raises with the log's tail if the process dies."""
    deadline = time.monotonic() + 120
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = (await asyncio.to_thread(log.read_text, errors="replace"))[-3000:]
                raise RuntimeError(f"the bot stopped during start-up:\n{tail}")
            try:
                async with session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as answer:
                    if answer.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"the bot did not answer {url} within 120 s")


# ------------------------------------------------------------------------------- measuring
@dataclass
class Target:
    """One bot under load: how to start it and what it measured."""

    name: str
    kind: str
    command: list[str]
    environment: dict[str, str]
    port: int
    result: dict[str, Any] = field(default_factory=dict)
    memory_at_start: dict[str, float] = field(default_factory=dict)
    memory_at_end: dict[str, float] = field(default_factory=dict)
    cpu_seconds: float = 0.0
    errors_logged: int = 0
    telegram_4xx: int = 0
    reports_filed: int | None = None


def generator_spec(
    target: Target, sandbox_url: str, town: Town, plan: dict[str, Any], pool: int
) -> dict[str, Any]:
    """What the load generator needs to know about one target."""
    return {
        "kind": target.kind,
        "webhook_url": f"http://127.0.0.1:{target.port}{WEBHOOK_PATH}",
        "secret": target.environment["WEBHOOK_SECRET"],
        "sandbox_url": sandbox_url,
        "bot_id": BOT_ID,
        "bot_username": BOT_USERNAME,
        "reporters": [town.pool(0, pool).start, town.pool(0, pool).stop],
        "browsers": [town.pool(pool, pool).start, town.pool(pool, pool).stop],
        "districts": list(town.districts),
        "plan": plan,
        "seed": 7,
    }


def run_generator(spec: dict[str, Any]) -> dict[str, Any]:
    """The load generator in a process of its own; its progress goes to this stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.loadgen", json.dumps(spec)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def count_reports(database_url: str) -> int:
    from sqlalchemy import func, select

    from storage.db import Database
    from storage.models import Report

    database = Database(database_url)
    try:
        async with database.sessions() as session:
            query = select(func.count()).select_from(Report)
            return int((await session.execute(query)).scalar_one())
    finally:
        await database.close()


def launch(target: Target, log: Path, workdir: Path) -> subprocess.Popen[bytes]:
    """Starts the bot with its stderr going to `log`."""
    with log.open("wb") as stream:
        return subprocess.Popen(
            target.command,
            env=target.environment,
            cwd=workdir if target.kind == "shopwatch" else ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stream,
        )


async def measure(
    target: Target, sandbox_url: str, town: Town, plan: dict[str, Any], pool: int, workdir: Path
) -> None:
    """Starts the bot, runs the generator against it, notes its memory and errors, stops it."""
    from sandbox.client import SandboxClient

    log = workdir / f"{target.kind}.log"
    async with SandboxClient(sandbox_url) as sandbox:
        await sandbox.reset_calls()
        process = await asyncio.to_thread(launch, target, log, workdir)
        try:
            await wait_until_up(process, f"http://127.0.0.1:{target.port}/healthz", log)
            target.memory_at_start = process_memory(process.pid)
            print(f"  {target.name} is up (pid {process.pid})", file=sys.stderr, flush=True)  # noqa: T201
            spec = generator_spec(target, sandbox_url, town, plan, pool)
            cpu_before = cpu_seconds(process.pid)
            spy = await asyncio.to_thread(start_sampling, target.kind, process.pid)
            target.result = await asyncio.to_thread(run_generator, spec)
            target.cpu_seconds = cpu_seconds(process.pid) - cpu_before
            await asyncio.to_thread(stop_sampling, spy)
            target.memory_at_end = process_memory(process.pid)
        finally:
            await asyncio.to_thread(stop, process)
        target.telegram_4xx = (await sandbox.calls()).errors_4xx
    text = await asyncio.to_thread(log.read_text, errors="replace")
    target.errors_logged = sum(
        1 for line in text.splitlines() if " ERROR " in line or line.startswith("Traceback")
    )
    if target.errors_logged:
        kept = Path(tempfile.gettempdir()) / f"shopwatch-updates-{target.kind}-{os.getpid()}.log"
        await asyncio.to_thread(shutil.copyfile, log, kept)
        print(f"{target.name}: {target.errors_logged} errors logged, see {kept}", file=sys.stderr)  # noqa: T201


async def main(args: argparse.Namespace) -> tuple[list[Target], dict[str, Any]]:
    from storage.migrate import upgrade

    plan = dict(QUICK_PLAN if args.quick else FULL_PLAN)
    if args.rate:
        plan |= {"start_rate": args.rate, "min_rate": args.rate, "max_rate": args.rate}
    if args.window:
        plan["window_seconds"] = args.window
    plan["verbose"] = args.verbose
    pool = args.pool
    workdir = Path(tempfile.mkdtemp(prefix="shopwatch-updates-"))
    redis_port, sandbox_port = free_port(), free_port()
    redis = start_redis(redis_port, workdir)
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    sandbox_process: subprocess.Popen[str] | None = None
    postgres_url = await create_postgres()
    facts: dict[str, Any] = {"plan": plan, "pool": pool, "members": MEMBERS}
    targets: list[Target] = []
    try:
        began = time.perf_counter()
        await asyncio.to_thread(upgrade, postgres_url)
        town = await seed_town(postgres_url, FIRST_USER, MEMBERS)
        facts["seed_seconds"] = time.perf_counter() - began
        people = [
            [town.coordinators[0], town.coordinators[-1] + 1],
            [town.pool(0, 2 * pool).start, town.pool(0, 2 * pool).stop],
        ]
        sandbox_process = await asyncio.to_thread(start_sandbox, sandbox_port, people)
        sandbox_url = f"http://127.0.0.1:{sandbox_port}"
        shopwatch_port, echo_port = free_port(), free_port()
        secret = secrets.token_urlsafe(24)
        common = {
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": sandbox_url,
            "REDIS_URL": redis_url,
            "WEBHOOK_SECRET": secret,
        }
        targets = [
            Target(
                "ShopWatch",
                "shopwatch",
                bot_command("shopwatch", "bot", "run"),
                bot_environment(
                    **common,
                    DATABASE_URL=postgres_url,
                    WEBHOOK_URL=f"http://127.0.0.1:{shopwatch_port}{WEBHOOK_PATH}",
                    WEBHOOK_LISTEN=f"127.0.0.1:{shopwatch_port}",
                    FLOOD_LIMIT_PER_MINUTE=str(FLOOD_LIMIT),
                ),
                shopwatch_port,
            ),
            Target(
                "bare aiogram echo bot",
                "echo",
                bot_command("echo", "benchmarks.echo_bot"),
                bot_environment(
                    **common,
                    REDIS_PREFIX=f"echo-{os.getpid()}",
                    WEBHOOK_LISTEN=f"127.0.0.1:{echo_port}",
                    WEBHOOK_PATH=WEBHOOK_PATH,
                ),
                echo_port,
            ),
        ]
        targets = [target for target in targets if target.kind in args.only]
        for target in targets:
            print(f"{target.name}:", file=sys.stderr, flush=True)  # noqa: T201
            await measure(target, sandbox_url, town, plan, pool, workdir)
        if targets[0].kind == "shopwatch":
            targets[0].reports_filed = await count_reports(postgres_url)
            result = targets[0].result
            print(  # noqa: T201
                f"ShopWatch: {result['conversations_submitted']} conversations submitted, "
                f"{result['conversations_abandoned']} abandoned, "
                f"{targets[0].reports_filed} reports filed",
                file=sys.stderr,
            )
    finally:
        await asyncio.to_thread(stop, sandbox_process, 10.0)
        await drop_postgres(postgres_url)
        await asyncio.to_thread(stop, redis, 10.0)
        shutil.rmtree(workdir, ignore_errors=True)
    return targets, facts


# --------------------------------------------------------------------------------- reporting
def _rate(target: Target) -> float:
    best = target.result.get("best")
    return float(best["rate"]) if best else 0.0


def _per_second(rate: float) -> str:
    return f"{rate:,.1f}" if rate < 100 else f"{rate:,.0f}"


def _errors(window: dict[str, Any]) -> str:
    count = sum(window["errors"].values()) + window["starved"]
    return f"{count}" + (f" ({', '.join(window['errors'])})" if window["errors"] else "")


def cpu_per_update(target: Target) -> float:
    """The bot's CPU time over the run (background jobs included) per update sent."""
    return target.cpu_seconds * 1000 / max(1, int(target.result.get("sent", 0)))


def table(targets: Sequence[Target]) -> str:
    """The headline figures as a Markdown table."""
    echo = next((t for t in targets if t.kind == "echo"), None)
    lines = [
        "| bot | updates/s at p99 < 100 ms | p50 ms | p99 ms | errors | lowest failing rate "
        "| x echo | CPU ms per update | MB at start | peak MB | errors logged | Telegram 4xx |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for target in targets:
        best = target.result.get("best")
        ratio = f"{_rate(target) / _rate(echo):.2f}" if echo and _rate(echo) else ""
        failing = target.result.get("first_failure")
        lines.append(
            f"| {target.name} | {_per_second(_rate(target))} | "
            f"{best['p50_ms']:.1f} | {best['p99_ms']:.1f} | {_errors(best)} | "
            if best
            else f"| {target.name} | none passed | | | | "
        )
        lines[-1] += (
            f"{f'{_per_second(failing)}/s' if failing else 'none up to the cap'} | {ratio} | "
            f"{cpu_per_update(target):.1f} | "
            f"{target.memory_at_start.get('VmRSS', 0):.0f} | "
            f"{target.memory_at_end.get('VmHWM', 0):.0f} | {target.errors_logged} | "
            f"{target.telegram_4xx} |"
        )
    return "\n".join(lines)


def windows_table(targets: Sequence[Target]) -> str:
    """Every window of the search, in the order it ran."""
    lines = [
        "| bot | offered/s | answered/s | p50 ms | p99 ms | max ms | errors | late starts | pass |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for target in targets:
        for window in target.result.get("windows", []):
            lines.append(
                f"| {target.name} | {window['rate']:,.1f} | {window['achieved']:,.1f} | "
                f"{window['p50_ms']:.1f} | {window['p99_ms']:.1f} | {window['max_ms']:.1f} | "
                f"{_errors(window)} | {window['late']} | {'yes' if window['passed'] else 'no'} |"
            )
    return "\n".join(lines)


def kinds_table(target: Target) -> tuple[str, str]:
    """Latency by kind of update in the highest passing window (else the slowest offered)."""
    windows = target.result.get("windows", [])
    if not windows:
        return "", ""
    window = target.result.get("best") or min(windows, key=lambda each: each["rate"])
    lines = ["| update | count | p50 ms | p99 ms |", "|---|---|---|---|"]
    for label, (count, p50, p99) in window["by_label"].items():
        lines.append(f"| {label} | {count} | {p50:.1f} | {p99:.1f} |")
    return f"{_per_second(window['rate'])}/s", "\n".join(lines)


def targets_met(targets: Sequence[Target]) -> list[str]:
    """Each target, met or not, by this run's figures."""
    shopwatch = next(t for t in targets if t.kind == "shopwatch")
    echo = next(t for t in targets if t.kind == "echo")
    ratio = _rate(shopwatch) / _rate(echo) if _rate(echo) else 0.0
    peak = shopwatch.memory_at_end.get("VmHWM", 0.0)

    def check(met: bool, text: str) -> str:
        return f"{'met' if met else 'NOT met'}: {text}"

    return [
        check(
            ratio >= TARGET_RATIO,
            f"ShopWatch {_per_second(_rate(shopwatch))} updates/s is {ratio:.2f} x the echo "
            f"bot's {_per_second(_rate(echo))} (>= {TARGET_RATIO}); per update it used "
            f"{cpu_per_update(shopwatch) / max(cpu_per_update(echo), 1e-9):.1f} x the echo "
            "bot's CPU time",
        ),
        check(
            peak < TARGET_PEAK_MB,
            f"ShopWatch peak {peak:.0f} MB < {TARGET_PEAK_MB:.0f} MB with "
            f"{MEMBERS:,} members in the database",
        ),
        check(
            shopwatch.errors_logged == 0 and shopwatch.telegram_4xx == 0,
            f"ShopWatch logged {shopwatch.errors_logged} errors and had "
            f"{shopwatch.telegram_4xx} Telegram 4xx answers",
        ),
    ]


def section(
    targets: Sequence[Target],
    facts: dict[str, Any],
    machine_lines: list[str],
    started: datetime,
    command: str,
    seconds: float,
) -> str:
    """The BENCHMARKS.md section, without its markers."""
    shopwatch = targets[0]
    plan = facts["plan"]
    result = shopwatch.result
    met = "\n".join(f"- {line}" for line in targets_met(targets))
    kinds_at, kinds = kinds_table(shopwatch)
    machine = "\n".join(f"- {line}" for line in machine_lines)
    return f"""## Update handling (webhook)

Run with `{command}` on {started:%Y-%m-%d %H:%M} UTC
({seconds / 60:.0f} min). Each bot runs in webhook mode as its own process on loopback;
a load generator in another process posts updates to its webhook with the secret header,
and the bots' replies go to the sandbox (Telegram's stand-in, its limits off) in a process
of its own. ShopWatch is `python -m bot run` on PostgreSQL (a database created for the run,
migrated, {facts["members"]:,} members seeded: people, memberships across four schemes, a
third of them with a subscription) and Redis; the echo bot is `python -m
benchmarks.echo_bot`: aiogram's Dispatcher with RedisStorage, aiogram's aiohttp webhook
handler, no database, a message echoed and a button press answered. Redis is a private
`redis-server` started for the run, PostgreSQL the machine's server.

{table(targets)}

Targets, by this run's figures:

{met}

The mix (ShopWatch): {result.get("mix", "")}; {facts["pool"]:,} reporters and
{facts["pool"]:,} other people drawn from the seeded members;
{result.get("conversations_submitted", 0):,} conversations submitted by the generator,
{shopwatch.reports_filed or 0:,} reports in the database at the end,
{result.get("conversations_abandoned", 0):,} conversations abandoned after an error.
The echo bot's mix: {targets[1].result.get("mix", "")}, from the same people.

ShopWatch's latency by kind of update, in its {kinds_at} window:

{kinds}

Every window of the search (offered: the generator's fixed rate; answered: webhook answers a
second over the window):

{windows_table(targets)}

How to read it:

- **updates/s at p99 < 100 ms**: the highest offered rate whose window
  ({plan["window_seconds"]:.0f} s, open-loop: update i is sent at start + i / rate whatever
  the answers so far) had its 99th percentile latency under {MAX_P99_MS:.0f} ms, every
  update answered 200 and none left unsent for want of an idle person. The search starts at
  {plan["start_rate"]:.0f}/s (after a {plan["warmup_seconds"]:.0f} s warm-up at
  {plan["warmup_rate"]:.0f}/s), doubles while windows pass or halves while they fail, then
  bisects the gap up to {plan["bisect_steps"]} times, to within {plan["resolution"]:.0f}/s.
  Before each window the generator waits until the bot's `/healthz` answers within 100 ms
  twice running (a minute at most), so that no window starts on the previous one's backlog.
- **latency**: from the generator's POST to the webhook's answer; both bots handle the update
  (database, Redis, the replies sent to the sandbox) before they answer.
- **one person at a time**: no person has two updates in flight, as in a real chat, so the
  per-chat conversation lock is never contended; the flood limit (a Redis counter per
  update) is raised to {FLOOD_LIMIT:,} a minute so that nobody is throttled.
- **CPU ms per update**: the bot process's CPU time (user and system) from the first update
  to the last, background jobs included, over the updates sent; PostgreSQL's and Redis's own
  CPU is not in it. It moves less with the machine's load than the rates do.
- **lowest failing rate**: the lowest offered rate whose window failed.
- **MB at start**: the bot's resident memory once it answers; **peak MB**: its high-water
  mark (`VmHWM`) at the end of the run. **errors logged**: ERROR lines and tracebacks in the
  bot's log; **Telegram 4xx**: the bot's API calls the sandbox refused.
- **late starts**: sends the generator itself started more than 5 ms after their time (a
  sign the machine, not the bot, was the limit).
- seeding the {facts["members"]:,} members (migrations included) took {facts["seed_seconds"]:.0f} s.

Machine (the workplace's `python-svc` kind: 2 cores, 24 GiB, local PostgreSQL 15 and Redis 7),
shared with other engineers' test runs, so figures move with the load average:

{machine}
"""


def write_section(path: Path, text: str) -> None:
    """Puts `text` between the updates markers, appending them if the file has none."""
    current = path.read_text() if path.exists() else "# Benchmarks\n"
    block = f"{START}\n{text.strip()}\n{END}"
    if START in current and END in current:
        before, rest = current.split(START, 1)
        _, after = rest.split(END, 1)
        current = before + block + after
    else:
        current = current.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(current)


def cli(argv: Sequence[str] | None = None) -> int:
    """Entry point: the benchmark, or its sandbox process."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "sandbox":
        spec = json.loads(argv[1])
        asyncio.run(serve_sandbox(spec["port"], spec["users"]))
        return 0
    parser = argparse.ArgumentParser(prog="python -m benchmarks.updates")
    parser.add_argument("--output", help="also write the results into this Markdown file")
    parser.add_argument("--quick", action="store_true", help="3 s windows: a smoke run")
    parser.add_argument("--pool", type=int, default=3000, help="reporters (and as many others)")
    parser.add_argument("--rate", type=float, help="one window at this rate instead of a search")
    parser.add_argument("--window", type=float, help="seconds per window")
    parser.add_argument("--verbose", action="store_true", help="latency by update kind")
    parser.add_argument(
        "--only", nargs="+", choices=("shopwatch", "echo"), default=("shopwatch", "echo")
    )
    args = parser.parse_args(argv)
    before = machine()
    started = datetime.now(UTC)
    began = time.perf_counter()
    targets, facts = asyncio.run(main(args))
    seconds = time.perf_counter() - began
    print(table(targets))  # noqa: T201
    if len(targets) == 2:
        print("\n".join(targets_met(targets)))  # noqa: T201
    if args.output and len(targets) == 2:
        after = f"load average after the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        command = "python -m benchmarks.updates " + " ".join(argv)
        text = section(targets, facts, [*before, after], started, command.strip(), seconds)
        write_section(Path(args.output), text)
    return 0


if __name__ == "__main__":
    sys.exit(cli())
