"""The method registry and the per-call context handlers receive."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sandbox.errors import bad_request, forbidden
from sandbox.spec import UploadedFile
from sandbox.world import BotAccount, Chat, StoredMessage

if TYPE_CHECKING:
    from sandbox.state import Sandbox

Handler = Callable[["Ctx"], Awaitable[Any]]


@dataclass(frozen=True)
class MethodDef:
    name: str
    handler: Handler
    params: frozenset[str]


REGISTRY: dict[str, MethodDef] = {}


def api_method(name: str, params: Iterable[str] = ()) -> Callable[[Handler], Handler]:
    """Register a Bot API method; ``params`` are the parameters the handler reads."""

    def register(handler: Handler) -> Handler:
        REGISTRY[name.lower()] = MethodDef(name, handler, frozenset(params))
        return handler

    return register


class Ctx:
    """One call: the sandbox, the calling bot and its coerced parameters."""

    def __init__(
        self, sandbox: Sandbox, bot: BotAccount, method: MethodDef, values: dict[str, Any]
    ) -> None:
        self.sb = sandbox
        self.world = sandbox.world
        self.bot = bot
        self.method = method
        self.values = values

    # ------------------------------------------------------------ parameters
    def get(self, name: str) -> Any:
        if name not in self.method.params:
            raise RuntimeError(f"{self.method.name} reads undeclared parameter {name!r}")
        return self.values.get(name)

    def declared(self, name: str) -> bool:
        return name in self.method.params

    def has(self, name: str) -> bool:
        return self.get(name) is not None

    def integer(self, name: str) -> int:
        value = self.get(name)
        if not isinstance(value, int):
            raise bad_request(f"{name} is required")
        return value

    def opt_int(self, name: str) -> int | None:
        value = self.get(name)
        return value if isinstance(value, int) else None

    def number(self, name: str) -> float:
        value = self.get(name)
        if not isinstance(value, float | int):
            raise bad_request(f"{name} is required")
        return float(value)

    def text(self, name: str) -> str:
        value = self.get(name)
        if not isinstance(value, str):
            raise bad_request(f"{name} is required")
        return value

    def opt_str(self, name: str) -> str | None:
        value = self.get(name)
        return value if isinstance(value, str) else None

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.get(name)
        return value if isinstance(value, bool) else default

    def obj(self, name: str) -> dict[str, Any] | None:
        value = self.get(name)
        return value if isinstance(value, dict) else None

    def array(self, name: str) -> list[Any] | None:
        value = self.get(name)
        return value if isinstance(value, list) else None

    def file_or_id(self, name: str) -> UploadedFile | str:
        value = self.get(name)
        if isinstance(value, UploadedFile | str):
            return value
        raise bad_request(f"{name} is required")

    def chat_id(self, name: str = "chat_id") -> int | str:
        value = self.get(name)
        if isinstance(value, int | str) and not isinstance(value, bool):
            return value
        raise bad_request(f"{name} is empty")

    # ----------------------------------------------------------------- chats
    def chat(self, name: str = "chat_id") -> Chat:
        """The chat the bot addresses, with Telegram's 400 when it can't see it."""
        return self.sb.resolve_chat(self.bot, self.chat_id(name))

    def message(self, chat: Chat, message_id: int, missing: str) -> StoredMessage:
        msg = self.world.find_message(chat, message_id)
        if msg is None:
            raise bad_request(missing)
        return msg

    def user(self, name: str = "user_id") -> int:
        user_id = self.integer(name)
        if user_id not in self.world.users:
            raise bad_request("user not found")
        return user_id

    def require_admin(self, chat: Chat, right: str | None, error: str) -> None:
        """The bot must be an administrator (with ``right``) of a group."""
        if chat.is_private:
            raise bad_request(error)
        now = self.sb.clock.now_int()
        member = self.world.member(chat, self.bot.id, now)
        if member.status == "creator":
            return
        if member.status != "administrator":
            if member.status in ("left", "kicked"):
                kind = "supergroup" if chat.type == "supergroup" else "group"
                raise forbidden(f"bot is not a member of the {kind} chat")
            raise bad_request(error)
        if right is not None and not member.rights.get(right, False):
            raise bad_request(error)
