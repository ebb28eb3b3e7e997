"""The world model: users, bots, chats, members, messages, invite links, callback queries."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from sandbox.events import Notifier
from sandbox.files import FileStore
from sandbox.updates import UpdateQueue

GROUP_ANONYMOUS_BOT_ID = 1087968824
TELEGRAM_SERVICE_ID = 777000

# Administrator rights ChatMemberAdministrator always carries.
ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)
# Rights that only exist in (super)groups.
GROUP_ADMIN_RIGHTS = ("can_pin_messages", "can_manage_topics")
ALL_ADMIN_RIGHTS = (*ADMIN_RIGHTS, *GROUP_ADMIN_RIGHTS, "can_send_welcome_messages")

PERMISSIONS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
)

MEMBER_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")
PRESENT_STATUSES = frozenset({"creator", "administrator", "member"})


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    is_bot: bool = False
    language_code: str | None = None
    is_premium: bool = False
    deactivated: bool = False
    blocked_bots: set[int] = field(default_factory=set)
    started_bots: set[int] = field(default_factory=set)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            out["last_name"] = self.last_name
        if self.username:
            out["username"] = self.username
        if self.language_code:
            out["language_code"] = self.language_code
        if self.is_premium:
            out["is_premium"] = True
        return out


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: int = 0
    failed_attempts: int = 0


@dataclass
class BotAccount:
    """A bot served by the sandbox; its token never leaves this object."""

    user: User
    token: str
    privacy_mode: bool = True
    can_join_groups: bool = True
    queue: UpdateQueue = field(default_factory=UpdateQueue)
    webhook: WebhookConfig | None = None
    commands: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    short_descriptions: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def username(self) -> str:
        return self.user.username or ""

    def get_me(self) -> dict[str, Any]:
        out = self.user.to_json()
        out.update(
            can_join_groups=self.can_join_groups,
            can_read_all_group_messages=not self.privacy_mode,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
        return out

    def reset_state(self) -> None:
        self.queue.reset()
        self.webhook = None
        self.commands.clear()
        self.descriptions.clear()
        self.short_descriptions.clear()
        self.names.clear()


@dataclass
class Member:
    user_id: int
    status: str
    rights: dict[str, bool] = field(default_factory=dict)
    permissions: dict[str, bool] = field(default_factory=dict)
    until_date: int = 0
    is_anonymous: bool = False
    custom_title: str | None = None
    promoted_by_bot: int | None = None


@dataclass
class InviteLink:
    invite_link: str
    creator_id: int
    name: str | None = None
    expire_date: int | None = None
    member_limit: int | None = None
    creates_join_request: bool = False
    is_primary: bool = False
    is_revoked: bool = False
    joined: int = 0


@dataclass
class StoredMessage:
    """A message in a chat as Telegram JSON (``data``) plus sandbox bookkeeping."""

    chat_id: int
    message_id: int
    data: dict[str, Any]
    sender_id: int
    by_bot: int | None
    kind: str
    markup: dict[str, Any] | None = None
    protect_content: bool = False
    disable_notification: bool = False
    deleted: bool = False
    edited: bool = False
    version: int = 0
    seq: int = 0

    @property
    def date(self) -> int:
        return int(self.data["date"])


@dataclass
class Chat:
    id: int
    type: str
    title: str | None = None
    username: str | None = None
    description: str | None = None
    bot_id: int | None = None
    peer_id: int | None = None
    members: dict[int, Member] = field(default_factory=dict)
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    pinned_message_id: int | None = None
    invite_links: dict[str, InviteLink] = field(default_factory=dict)
    permissions: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(PERMISSIONS, True))
    notifier: Notifier = field(default_factory=Notifier)
    revision: int = 0

    @property
    def is_private(self) -> bool:
        return self.type == "private"

    def touch(self) -> None:
        self.revision += 1
        self.notifier.notify()


@dataclass
class CallbackQuery:
    id: str
    user_id: int
    bot_id: int
    chat_id: int
    message_id: int
    data: str | None
    created_monotonic: float
    answered: bool = False


class World:
    """Everything the sandbox simulates, except the clock and the limits."""

    def __init__(self) -> None:
        self.bots: dict[int, BotAccount] = {}
        self.users: dict[int, User] = {}
        self.groups: dict[int, Chat] = {}
        self.private: dict[tuple[int, int], Chat] = {}
        self.files = FileStore()
        self.callback_queries: dict[str, CallbackQuery] = {}
        self.callback_answers: list[dict[str, Any]] = []
        self.callback_notifier = Notifier()
        self.chat_actions: list[dict[str, Any]] = []
        self._user_ids = itertools.count(100_000_001)
        self._group_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._seq = itertools.count(1)
        self.media_group_ids = itertools.count(13_000_000_000_000_001)

    def reset(self) -> None:
        """Forget users, chats and files; keep the bots (with cleared state)."""
        bot_users = {b.id: b.user for b in self.bots.values()}
        self.users = dict(bot_users)
        for bot in self.bots.values():
            bot.reset_state()
        self.groups.clear()
        self.private.clear()
        self.files.clear()
        self.callback_queries.clear()
        self.callback_answers.clear()
        self.chat_actions.clear()
        self._user_ids = itertools.count(100_000_001)
        self._group_ids = itertools.count(1)

    # ------------------------------------------------------------ identities
    def add_bot(self, token: str, username: str, first_name: str) -> BotAccount:
        bot_id = int(token.split(":", 1)[0])
        user = User(bot_id, first_name, username=username, is_bot=True)
        bot = BotAccount(user=user, token=token)
        self.bots[bot_id] = bot
        self.users[bot_id] = user
        return bot

    def next_user_id(self) -> int:
        while True:
            uid = next(self._user_ids)
            if uid not in self.users:
                return uid

    def next_group_id(self, supergroup: bool) -> int:
        n = next(self._group_ids)
        return -(1_000_000_000_000 + 100_000 + n) if supergroup else -(400_000_000 + n)

    def next_query_id(self) -> str:
        return str(4_385_000_000_000_000_000 + next(self._query_ids))

    def next_seq(self) -> int:
        return next(self._seq)

    def user_by_username(self, username: str) -> User | None:
        name = username.lstrip("@").lower()
        return next(
            (u for u in self.users.values() if u.username and u.username.lower() == name), None
        )

    # ----------------------------------------------------------------- chats
    def private_chat(self, bot_id: int, user_id: int, create: bool = False) -> Chat | None:
        chat = self.private.get((bot_id, user_id))
        if chat is None and create:
            user = self.users[user_id]
            chat = Chat(
                id=user_id,
                type="private",
                username=user.username,
                bot_id=bot_id,
                peer_id=user_id,
            )
            chat.members[user_id] = Member(user_id, "member")
            chat.members[bot_id] = Member(bot_id, "member")
            self.private[(bot_id, user_id)] = chat
        return chat

    def group_by_username(self, username: str) -> Chat | None:
        name = username.lstrip("@").lower()
        return next(
            (c for c in self.groups.values() if c.username and c.username.lower() == name), None
        )

    def member(self, chat: Chat, user_id: int, now: int) -> Member:
        """The member record (``left`` if none); expired bans become ``left``."""
        member = chat.members.get(user_id)
        if member is None:
            return Member(user_id, "left")
        if member.status in ("kicked", "restricted") and 0 < member.until_date <= now:
            if member.status == "kicked":
                member.status = "left"
            else:
                member.status = "member"
                member.permissions = {}
            member.until_date = 0
        return member

    def is_present(self, chat: Chat, user_id: int, now: int) -> bool:
        member = self.member(chat, user_id, now)
        if member.status == "restricted":
            return member.permissions.get("is_member", True)
        return member.status in PRESENT_STATUSES

    def chats_of(self, user_id: int) -> list[Chat]:
        return [c for c in self.groups.values() if user_id in c.members]

    # -------------------------------------------------------------- messages
    def new_message_id(self, chat: Chat) -> int:
        mid = chat.next_message_id
        chat.next_message_id += 1
        return mid

    def store(self, chat: Chat, message: StoredMessage) -> StoredMessage:
        message.seq = self.next_seq()
        chat.messages[message.message_id] = message
        chat.touch()
        return message

    def find_message(self, chat: Chat, message_id: int) -> StoredMessage | None:
        msg = chat.messages.get(message_id)
        if msg is None or msg.deleted:
            return None
        return msg
