"""Every method the sandbox serves must match ``sandbox/spec/api.json``.

For each method (as the server lists it): it exists in the spec; the parameters it
handles are spec fields; leaving out any required parameter is a 400; a valid call
returns a result that parses as aiogram's ``__returning__`` type and whose JSON only
uses fields of the spec's return type. A method without an example call here fails.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiogram.methods
import aiohttp
import pytest
from aiogram import Bot
from aiogram.methods import Response, TelegramMethod

from sandbox.client import SandboxClient
from sandbox.files import make_png
from sandbox.methods import REGISTRY, Ctx, MethodDef
from sandbox.server import SandboxServer
from sandbox.spec import ApiSpec, default_spec


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def encode(params: dict[str, Any]) -> aiohttp.FormData:
    """Encode like aiogram: multipart, JSON for nested values, files as attach://."""
    form = aiohttp.FormData(quote_fields=False)
    files: dict[str, Upload] = {}

    def prep(value: Any) -> Any:
        if isinstance(value, Upload):
            key = f"file{len(files)}"
            files[key] = value
            return f"attach://{key}"
        if isinstance(value, dict):
            return {k: prep(v) for k, v in value.items()}
        if isinstance(value, list):
            return [prep(v) for v in value]
        return value

    for key, value in params.items():
        value = prep(value)
        form.add_field(key, value if isinstance(value, str) else json.dumps(value))
    for key, upload in files.items():
        form.add_field(key, upload.data, filename=upload.filename)
    return form


class Env:
    """A small world every example call can use; fresh objects where calls consume them."""

    def __init__(self, server: SandboxServer, sb: SandboxClient, http: aiohttp.ClientSession):
        self.server = server
        self.sb = sb
        self.http = http
        self.user = 0
        self.group = 0
        self.spare_group = 0
        self.member = 0
        self.photo_id = ""
        self.invite_link = ""

    async def call(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        url = f"{self.server.base_url}/bot{self.server.token}/{method}"
        async with self.http.post(url, data=encode(params)) as resp:
            return resp.status, dict(await resp.json())

    async def ok(self, method: str, params: dict[str, Any]) -> Any:
        status, body = await self.call(method, params)
        assert status == 200, body
        return body["result"]

    async def setup(self) -> None:
        sb = self.sb
        alice = await sb.create_user("Alice", username="alice_spec", started=True)
        bob = await sb.create_user("Bob", username="bob_spec", started=True)
        self.user, self.member = alice.id, bob.id
        await sb.disable_limits()
        group = await sb.create_group("Spec", creator_id=alice.id, members=[bob.id])
        await sb.add_bot_to_group(group.id, admin=True)
        spare = await sb.create_group("Spare", creator_id=alice.id)
        await sb.add_bot_to_group(spare.id, admin=False)
        self.group, self.spare_group = group.id, spare.id
        photo = await self.ok(
            "sendPhoto", {"chat_id": self.user, "photo": Upload("p.png", make_png(40, 30))}
        )
        self.photo_id = photo["photo"][-1]["file_id"]
        link = await self.ok("createChatInviteLink", {"chat_id": self.group})
        self.invite_link = link["invite_link"]

    async def bot_message(self, markup: bool = False) -> int:
        params: dict[str, Any] = {"chat_id": self.user, "text": "example"}
        if markup:
            button = {"text": "Go", "callback_data": "go"}
            params["reply_markup"] = {"inline_keyboard": [[button]]}
        return int((await self.ok("sendMessage", params))["message_id"])

    async def callback_query(self) -> str:
        mid = await self.bot_message(markup=True)
        return await self.sb.press(self.user, mid, data="go")


Example = Callable[[Env], Awaitable[dict[str, Any]]]


async def _static(params: dict[str, Any]) -> dict[str, Any]:
    return params


def const(**params: Any) -> Example:
    return lambda env: _static(params)


async def _edit_text(env: Env) -> dict[str, Any]:
    return {"chat_id": env.user, "message_id": await env.bot_message(), "text": "edited"}


async def _edit_markup(env: Env) -> dict[str, Any]:
    markup = {"inline_keyboard": [[{"text": "New", "callback_data": "new"}]]}
    return {"chat_id": env.user, "message_id": await env.bot_message(), "reply_markup": markup}


async def _edit_caption(env: Env) -> dict[str, Any]:
    photo = await env.ok("sendPhoto", {"chat_id": env.user, "photo": env.photo_id})
    return {"chat_id": env.user, "message_id": photo["message_id"], "caption": "new caption"}


async def _delete(env: Env) -> dict[str, Any]:
    return {"chat_id": env.user, "message_id": await env.bot_message()}


async def _delete_many(env: Env) -> dict[str, Any]:
    ids = [await env.bot_message(), await env.bot_message()]
    return {"chat_id": env.user, "message_ids": ids}


async def _answer(env: Env) -> dict[str, Any]:
    return {"callback_query_id": await env.callback_query(), "text": "done"}


async def _copy(env: Env) -> dict[str, Any]:
    mid = await env.bot_message()
    return {"chat_id": env.group, "from_chat_id": env.user, "message_id": mid}


def g(env: Env, **params: Any) -> dict[str, Any]:
    return {"chat_id": env.group, **params}


EXAMPLES: dict[str, Example] = {
    "getMe": const(),
    "getUpdates": const(offset=-1, limit=5, timeout=0),
    "setWebhook": const(url="http://127.0.0.1:9/hook", secret_token="s3cret"),
    "deleteWebhook": const(drop_pending_updates=True),
    "getWebhookInfo": const(),
    "logOut": const(),
    "close": const(),
    "sendMessage": lambda env: _static(
        {"chat_id": env.user, "text": "<b>hi</b>", "parse_mode": "HTML"}
    ),
    "sendPhoto": lambda env: _static({"chat_id": env.user, "photo": Upload("x.png", make_png())}),
    "sendDocument": lambda env: _static(
        {"chat_id": env.user, "document": Upload("a.txt", b"text"), "caption": "doc"}
    ),
    "sendVideo": lambda env: _static({"chat_id": env.user, "video": Upload("v.mp4", b"\0video")}),
    "sendAudio": lambda env: _static({"chat_id": env.user, "audio": Upload("a.mp3", b"ID3audio")}),
    "sendVoice": lambda env: _static({"chat_id": env.user, "voice": Upload("v.ogg", b"OggS")}),
    "sendSticker": lambda env: _static(
        {"chat_id": env.user, "sticker": Upload("s.webp", b"RIFF\0\0\0\0WEBP")}
    ),
    "sendLocation": lambda env: _static(
        {"chat_id": env.user, "latitude": 51.5, "longitude": -0.12}
    ),
    "sendContact": lambda env: _static(
        {"chat_id": env.user, "phone_number": "+441234", "first_name": "Shop"}
    ),
    "sendMediaGroup": lambda env: _static(
        {
            "chat_id": env.user,
            "media": [
                {"type": "photo", "media": env.photo_id, "caption": "one"},
                {"type": "photo", "media": Upload("y.png", make_png(20, 20))},
            ],
        }
    ),
    "copyMessage": _copy,
    "forwardMessage": _copy,
    "editMessageText": _edit_text,
    "editMessageCaption": _edit_caption,
    "editMessageReplyMarkup": _edit_markup,
    "deleteMessage": _delete,
    "deleteMessages": _delete_many,
    "answerCallbackQuery": _answer,
    "getChat": lambda env: _static(g(env)),
    "getChatMember": lambda env: _static(g(env, user_id=env.member)),
    "getChatAdministrators": lambda env: _static(g(env)),
    "getChatMemberCount": lambda env: _static(g(env)),
    "banChatMember": lambda env: _static(g(env, user_id=env.member)),
    "unbanChatMember": lambda env: _static(g(env, user_id=env.member, only_if_banned=True)),
    "leaveChat": lambda env: _static({"chat_id": env.spare_group}),
    "pinChatMessage": _delete,
    "unpinChatMessage": lambda env: _static({"chat_id": env.user}),
    "createChatInviteLink": lambda env: _static(g(env, member_limit=5, name="spec")),
    "revokeChatInviteLink": lambda env: _static(g(env, invite_link=env.invite_link)),
    "exportChatInviteLink": lambda env: _static(g(env)),
    "sendChatAction": lambda env: _static({"chat_id": env.user, "action": "typing"}),
    "setMyCommands": const(commands=[{"command": "start", "description": "Start"}]),
    "getMyCommands": const(),
    "deleteMyCommands": const(),
    "setMyDescription": const(description="A bot"),
    "getMyDescription": const(),
    "setMyShortDescription": const(short_description="Short"),
    "getMyShortDescription": const(),
    "setMyName": const(name="Shop Watch"),
    "getMyName": const(),
    "getFile": lambda env: _static({"file_id": env.photo_id}),
}
# Calls that change state later examples depend on are undone right away.
UNDO: dict[str, tuple[str, dict[str, Any]]] = {"setWebhook": ("deleteWebhook", {})}


def aiogram_method(name: str) -> type[TelegramMethod[Any]]:
    cls = getattr(aiogram.methods, name[0].upper() + name[1:], None)
    assert cls is not None, f"aiogram has no method class for {name}"
    return cls  # type: ignore[no-any-return]


def field_names_ok(spec: ApiSpec, result: Any, returns: tuple[str, ...]) -> list[str]:
    return spec.check_shape(result, returns)


async def conformance_problems(server: SandboxServer, sb: SandboxClient, bot: Bot) -> list[str]:
    spec = default_spec()
    served = await sb.methods()
    assert len(served) >= 40
    async with aiohttp.ClientSession() as http:
        env = Env(server, sb, http)
        await env.setup()
        problems: list[str] = []
        for name, params_handled in sorted(served.items()):
            mspec = spec.methods.get(name)
            if mspec is None:
                problems.append(f"{name}: not a Bot API method in the spec")
                continue
            extra = set(params_handled) - set(mspec.fields)
            if extra:
                problems.append(f"{name}: handles non-spec parameters {sorted(extra)}")
            example = EXAMPLES.get(name)
            if example is None:
                problems.append(f"{name}: no example call in test_spec_conformance.EXAMPLES")
                continue
            params = await example(env)
            for required in mspec.required:
                assert required in params, f"{name} example lacks required {required}"
                status, body = await env.call(
                    name, {k: v for k, v in params.items() if k != required}
                )
                if status != 400 or body.get("ok") is not False:
                    problems.append(f"{name}: without {required} answered {status} {body}")
            status, body = await env.call(name, params)
            if status != 200:
                problems.append(f"{name}: valid call answered {status} {body}")
                continue
            if name in UNDO:
                undo, undo_params = UNDO[name]
                await env.ok(undo, undo_params)
            cls = aiogram_method(name)
            response_type = Response[cls.__returning__]  # type: ignore[name-defined]
            try:
                response_type.model_validate(body, context={"bot": bot})
            except Exception as exc:  # noqa: BLE001
                problems.append(f"{name}: aiogram can't parse the result: {exc}")
            errors = field_names_ok(spec, body["result"], mspec.returns)
            if errors:
                problems.append(f"{name}: result shape: {errors[:3]}")
    return problems


async def test_every_served_method_conforms_to_the_spec(
    server: SandboxServer, sb: SandboxClient, bot: Bot
) -> None:
    problems = await conformance_problems(server, sb, bot)
    assert not problems, "\n".join(problems)


async def test_conformance_check_catches_a_bad_method(
    server: SandboxServer, sb: SandboxClient, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A non-spec method, or a method answering the wrong shape, is reported."""

    async def hologram(ctx: Ctx) -> bool:
        return True

    async def bad_me(ctx: Ctx) -> dict[str, Any]:
        return {"id": ctx.bot.id, "is_bot": True, "first_name": "X", "nickname": "nope"}

    registry = dict(REGISTRY)
    registry["sendhologram"] = MethodDef("sendHologram", hologram, frozenset())
    registry["getme"] = MethodDef("getMe", bad_me, frozenset({"secret_param"}))
    monkeypatch.setattr("sandbox.methods.base.REGISTRY", registry)
    monkeypatch.setattr("sandbox.methods.REGISTRY", registry)
    monkeypatch.setattr("sandbox.state.REGISTRY", registry)
    monkeypatch.setattr("sandbox.control.REGISTRY", registry)
    monkeypatch.setattr("sandbox.botapi.REGISTRY", registry)
    server.sandbox.config.strict_shapes = False
    problems = "\n".join(await conformance_problems(server, sb, bot))
    assert "sendHologram: not a Bot API method in the spec" in problems
    assert "getMe: handles non-spec parameters ['secret_param']" in problems
    assert "getMe: result shape" in problems


def test_spec_check_shape_catches_wrong_fields() -> None:
    spec = default_spec()
    good = {"id": 1, "is_bot": False, "first_name": "A"}
    assert spec.check_shape(good, ["User"]) == []
    assert spec.check_shape({**good, "nickname": "x"}, ["User"])
    assert spec.check_shape({"id": 1, "is_bot": False}, ["User"])
    assert spec.check_shape({"status": "member", "user": good}, ["ChatMember"]) == []
    assert spec.check_shape({"status": "boss", "user": good}, ["ChatMember"])


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_examples_name_spec_methods(name: str) -> None:
    assert name in default_spec().methods
