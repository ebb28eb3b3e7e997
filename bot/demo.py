"""The local demo: the sandboxed Telegram, the real bot, demo people, and a page to play in."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from bot.process import ShopWatchProcess
from bot.settings import Settings
from core.enums import MembershipStatus, Role
from sandbox.client import SandboxClient
from sandbox.demo_page import add_demo_routes
from sandbox.server import create_app
from sandbox.state import Sandbox, SandboxConfig
from storage.models import Area, Membership, Person, Scheme, utcnow

logger = logging.getLogger(__name__)

DEMO_TOKEN = "7000000001:DEMO-local-sandbox-token"
DEMO_BOT_USERNAME = "shopwatch_demo_bot"
DEMO_DATABASE = Path("shopwatch-demo.db")
SCHEME_NAME = "Market Town Shop Watch"
TOWN_CENTRE = (52.2053, 0.1218)
ALL_RIGHTS = {
    "can_delete_messages": True,
    "can_invite_users": True,
    "can_restrict_members": True,
    "can_pin_messages": True,
}


@dataclass(frozen=True)
class Persona:
    """A demo person: who they are and what they do in the scheme."""

    user_id: int
    first_name: str
    last_name: str
    role: Role
    blurb: str
    business: str | None = None

    @property
    def name(self) -> str:
        """Their full name."""
        return f"{self.first_name} {self.last_name}"


PERSONAS = (
    Persona(1001, "Priya", "Shah", Role.COORDINATOR, "Runs Market Town Shop Watch for the BCRP"),
    Persona(1002, "Tom", "Baker", Role.TRADER, "Manager at Baker's Pharmacy", "Baker's Pharmacy"),
    Persona(1003, "Grace", "Okoro", Role.TRADER, "Security at Market Street Co-op", "Co-op"),
    Persona(1004, "Dan", "Evans", Role.RESIDENT, "Lives above the shops on Market Street"),
    Persona(1005, "Mei", "Lin", Role.RESIDENT, "Walks her dog through Station Park"),
)


async def _seed_database(session: AsyncSession, group_id: int) -> None:
    async with session.begin():
        scheme = Scheme(
            name=SCHEME_NAME,
            sharing_rules=(
                "Share only what members need to prevent crime. Offender details stay in "
                "ShopWatch: no screenshots, no forwarding."
            ),
            telegram_group_id=group_id,
        )
        scheme.areas.append(
            Area(
                name="Town centre",
                postcode_districts=["MT1"],
                centre_latitude=TOWN_CENTRE[0],
                centre_longitude=TOWN_CENTRE[1],
                radius_m=800,
            )
        )
        session.add(scheme)
        for persona in PERSONAS:
            person = Person(telegram_user_id=persona.user_id, full_name=persona.name)
            session.add(person)
            await session.flush()
            if persona.role != Role.RESIDENT:
                session.add(
                    Membership(
                        person_id=person.id,
                        scheme=scheme,
                        role=persona.role,
                        status=MembershipStatus.APPROVED,
                        business_name=persona.business,
                        rules_accepted_at=utcnow(),
                    )
                )


async def _seed_sandbox(client: SandboxClient) -> int:
    """Creates the demo people and the scheme group; returns the group's chat id."""
    for persona in PERSONAS:
        await client.create_user(
            persona.first_name, persona.last_name, user_id=persona.user_id, started=True
        )
    members = [p.user_id for p in PERSONAS if p.role != Role.RESIDENT]
    group = await client.create_group(
        SCHEME_NAME, creator_id=PERSONAS[0].user_id, members=members[1:]
    )
    return group.id


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Demo:
    """Everything the demo runs, started and stopped together."""

    def __init__(self, settings: Settings, *, port: int, database: Path = DEMO_DATABASE) -> None:
        self.port = port
        self.database_path = database
        self.sandbox = Sandbox(
            [(DEMO_TOKEN, DEMO_BOT_USERNAME)], config=SandboxConfig(strict_media=False)
        )
        self.settings = settings.model_copy(
            update={
                "bot_token": SecretStr(DEMO_TOKEN),
                "telegram_api_url": f"http://127.0.0.1:{port}",
                "database_url": f"sqlite+aiosqlite:///{database}",
                "redis_url": None,
                "webhook_url": None,
                "webhook_secret": None,
                "webhook_listen": f"127.0.0.1:{_free_port()}",
                "admin_user_ids": (PERSONAS[0].user_id,),
            }
        )
        self.process: ShopWatchProcess | None = None
        self._runner: web.AppRunner | None = None
        self.group_id = 0

    @property
    def url(self) -> str:
        """Where to open the demo page."""
        return f"http://127.0.0.1:{self.port}/"

    async def personas(self) -> dict[str, Any]:
        """The people and groups the page lets you play as."""
        return {
            "bot": {"username": DEMO_BOT_USERNAME, "name": "ShopWatch"},
            "personas": [
                {
                    "user_id": p.user_id,
                    "name": p.name,
                    "role": p.role.value,
                    "blurb": p.blurb,
                }
                for p in PERSONAS
            ],
            "groups": [{"chat_id": self.group_id, "title": SCHEME_NAME}],
            "default_location": {
                "latitude": TOWN_CENTRE[0],
                "longitude": TOWN_CENTRE[1],
                "label": "Market Town centre",
            },
        }

    async def start(self) -> None:
        """Starts the sandbox and page, seeds the demo, and connects the real bot."""
        app = create_app(self.sandbox)
        add_demo_routes(app, self.personas)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        # Only once the port is ours: a second demo in this folder must not wipe the first's.
        self.database_path.unlink(missing_ok=True)
        async with SandboxClient(self.settings.telegram_api_url) as client:
            self.group_id = await _seed_sandbox(client)
            self.process = ShopWatchProcess(self.settings)
            await self.process.start()
            async with self.process.database.sessions() as session:
                await _seed_database(session, self.group_id)
            await client.add_bot_to_group(
                self.group_id, admin=True, rights=ALL_RIGHTS, by_user_id=PERSONAS[0].user_id
            )

    async def stop(self) -> None:
        """Stops the bot, then the sandbox and page."""
        if self.process is not None:
            await self.process.stop()
        if self._runner is not None:
            await self._runner.cleanup()


async def run_demo(settings: Settings, *, port: int) -> None:
    """Runs the demo until cancelled."""
    demo = Demo(settings, port=port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await demo.start()
        print(  # noqa: T201
            f"ShopWatch demo: open {demo.url} in your browser and pick a person to chat as.\n"
            "No real Telegram is involved. Press Ctrl-C to stop."
        )
        await stop.wait()
    finally:
        await demo.stop()
