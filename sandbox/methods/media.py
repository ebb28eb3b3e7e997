"""Turning an InputFile or file_id into the Telegram JSON of a media object."""

from __future__ import annotations

import mimetypes
from typing import TYPE_CHECKING, Any

import aiohttp

from sandbox.errors import bad_request
from sandbox.files import StoredFile, image_size
from sandbox.spec import UploadedFile

if TYPE_CHECKING:
    from sandbox.state import Sandbox

MEDIA_TITLES = {
    "photo": "Photo",
    "document": "Document",
    "video": "Video",
    "audio": "Audio",
    "voice": "VoiceNote",
    "sticker": "Sticker",
    "animation": "Animation",
}


def media_json(stored: StoredFile) -> Any:
    """The media object for a stored file (a PhotoSize list for photos)."""
    if stored.kind == "photo":
        return stored.extra["sizes"]
    out: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
    }
    if stored.kind == "sticker":
        out.update(
            type="regular",
            width=stored.width or 512,
            height=stored.height or 512,
            is_animated=False,
            is_video=False,
        )
        if stored.extra.get("emoji"):
            out["emoji"] = stored.extra["emoji"]
        return out
    if stored.kind in ("video", "animation"):
        out.update(width=stored.width or 640, height=stored.height or 360)
    if stored.kind in ("video", "animation", "audio", "voice"):
        out["duration"] = int(stored.extra.get("duration", 1))
    if stored.kind in ("document", "video", "audio", "animation") and stored.file_name:
        out["file_name"] = stored.file_name
    if stored.mime_type:
        out["mime_type"] = stored.mime_type
    return out


def store_upload(sb: Sandbox, kind: str, content: bytes, filename: str | None) -> StoredFile:
    """Store uploaded bytes as a ``kind`` file; photos get their PhotoSize list."""
    if not content:
        raise bad_request("file must be non-empty")
    if kind == "photo":
        size = image_size(content)
        if size is None:
            if sb.config.strict_media:
                raise bad_request("IMAGE_PROCESS_FAILED")
            size = (800, 600)
        sizes = sb.world.files.add_photo(content, *size)
        for item in sizes:
            stored_size = sb.world.files.get(item["file_id"])
            if stored_size is not None:
                stored_size.extra["sizes"] = sizes
        largest = sb.world.files.get(sizes[-1]["file_id"])
        assert largest is not None
        return largest
    mime = mimetypes.guess_type(filename or "")[0]
    defaults = {"voice": "audio/ogg", "sticker": "image/webp", "video": "video/mp4"}
    stored = sb.world.files.add(
        kind,
        content,
        file_name=filename if kind in ("document", "audio", "video", "animation") else None,
        mime_type=mime or defaults.get(kind, "application/octet-stream"),
    )
    if kind == "sticker":
        stored.width = stored.height = 512
    return stored


async def resolve_media(sb: Sandbox, value: UploadedFile | str, kind: str) -> Any:
    """The media JSON for an upload, a known file_id or an HTTP URL."""
    if isinstance(value, UploadedFile):
        return media_json(store_upload(sb, kind, value.content, value.filename))
    if value.startswith(("http://", "https://")):
        content = await _fetch(sb, value)
        name = value.rsplit("/", 1)[-1].split("?", 1)[0] or None
        return media_json(store_upload(sb, kind, content, name))
    stored = sb.world.files.get(value)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    if stored.kind != kind:
        if kind == "document" and stored.kind != "photo":
            return media_json(stored) if stored.kind == "document" else _as_document(sb, stored)
        raise bad_request(
            f"can't use file of type {MEDIA_TITLES.get(stored.kind, stored.kind)} "
            f"as {MEDIA_TITLES.get(kind, kind)}"
        )
    return media_json(stored)


def _as_document(sb: Sandbox, stored: StoredFile) -> Any:
    doc = sb.world.files.add(
        "document", stored.content, file_name=stored.file_name, mime_type=stored.mime_type
    )
    return media_json(doc)


async def _fetch(sb: Sandbox, url: str) -> bytes:
    if sb.http is None:
        raise bad_request("failed to get HTTP URL content")
    try:
        timeout = aiohttp.ClientTimeout(total=10)
        async with sb.http.get(url, timeout=timeout) as resp:
            if resp.status != 200:
                raise bad_request("failed to get HTTP URL content")
            return await resp.read()
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise bad_request("failed to get HTTP URL content") from exc
