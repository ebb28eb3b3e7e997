"""Stored files: ids, image sizes, PhotoSize lists, downloads."""

from __future__ import annotations

import base64
import itertools
import secrets
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

PHOTO_SIDES = (90, 320, 800, 1280)
_counter = itertools.count(1)

# Prefixes look like Telegram's (the first bytes encode the file type).
_ID_PREFIX = {
    "photo": "AgACAgIAAxkBAAI",
    "document": "BQACAgIAAxkBAAI",
    "sticker": "CAACAgIAAxkBAAI",
    "voice": "AwACAgIAAxkBAAI",
    "video": "BAACAgIAAxkBAAI",
    "audio": "CQACAgIAAxkBAAI",
    "animation": "CgACAgIAAxkBAAI",
}
_FOLDER = {
    "photo": "photos",
    "document": "documents",
    "sticker": "stickers",
    "voice": "voice",
    "video": "videos",
    "audio": "music",
    "animation": "animations",
}
_EXT = {"photo": "jpg", "sticker": "webp", "voice": "oga", "video": "mp4", "audio": "mp3"}


@dataclass
class StoredFile:
    """A file the sandbox knows; ``kind`` is the Telegram media type it was sent as."""

    file_id: str
    file_unique_id: str
    kind: str
    content: bytes
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    file_path: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # A size to report instead of the content's (a 25 MB video without 25 MB of bytes).
    declared_size: int | None = None

    @property
    def size(self) -> int:
        return self.declared_size if self.declared_size is not None else len(self.content)

    def file_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.file_path:
            out["file_path"] = self.file_path
        return out


def _random_id(length: int) -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(length)).decode().rstrip("=")


class FileStore:
    """All files, by ``file_id`` and by download path."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}

    def clear(self) -> None:
        self._by_id.clear()
        self._by_path.clear()

    def add(self, kind: str, content: bytes, **kwargs: Any) -> StoredFile:
        n = next(_counter)
        file_id = f"{_ID_PREFIX.get(kind, 'BQACAgIAAxkBAAI')}{n:06d}{_random_id(30)}"
        unique = f"AQAD{n:06d}{_random_id(6)}"
        stored = StoredFile(file_id, unique, kind, content, **kwargs)
        self._by_id[file_id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def assign_path(self, stored: StoredFile) -> str:
        if stored.file_path is None:
            ext = _EXT.get(stored.kind)
            if ext is None and stored.file_name and "." in stored.file_name:
                ext = stored.file_name.rsplit(".", 1)[1]
            suffix = f".{ext}" if ext else ""
            stored.file_path = (
                f"{_FOLDER.get(stored.kind, 'documents')}/file_{len(self._by_path)}{suffix}"
            )
            self._by_path[stored.file_path] = stored
        return stored.file_path

    def by_path(self, path: str) -> StoredFile | None:
        return self._by_path.get(path)

    def add_photo(self, content: bytes, width: int, height: int) -> list[dict[str, Any]]:
        """Store a photo; return its PhotoSize list (smallest first, like Telegram)."""
        sizes: list[dict[str, Any]] = []
        longest = max(width, height, 1)
        sides = [s for s in PHOTO_SIDES if s < longest] + [min(longest, 2560)]
        for side in sides:
            scale = side / longest
            w, h = max(1, round(width * scale)), max(1, round(height * scale))
            stored = self.add("photo", content, width=w, height=h, mime_type="image/jpeg")
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": stored.size,
                    "width": w,
                    "height": h,
                }
            )
        return sizes


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF, JPEG, WebP or BMP image, or None."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        w, h = struct.unpack("<HH", data[6:10])
        return int(w), int(h)
    if data[:2] == b"BM" and len(data) >= 26:
        w, h = struct.unpack("<ii", data[18:26])
        return abs(int(w)), abs(int(h))
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_size(data)
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        w = int.from_bytes(data[24:27], "little") + 1
        h = int.from_bytes(data[27:30], "little") + 1
        return w, h
    if chunk == b"VP8 " and len(data) >= 30:
        w, h = struct.unpack("<HH", data[26:30])
        return int(w) & 0x3FFF, int(h) & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return 512, 512


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(w), int(h)
        i += 2 + length
    return None


def make_png(width: int = 64, height: int = 48, rgb: tuple[int, int, int] = (200, 60, 60)) -> bytes:
    """A valid, solid-colour PNG image (for tests and simulated user photos)."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(tag + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", crc)

    row = b"\x00" + bytes(rgb) * width
    raw = row * height
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
