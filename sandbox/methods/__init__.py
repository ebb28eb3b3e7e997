"""Bot API method handlers, registered in :data:`REGISTRY` by name (case-insensitive)."""

from sandbox.methods import bot, chats, editing, messages, polling
from sandbox.methods.base import REGISTRY, Ctx, MethodDef, api_method

__all__ = [
    "REGISTRY",
    "Ctx",
    "MethodDef",
    "api_method",
    "bot",
    "chats",
    "editing",
    "messages",
    "polling",
]
