"""parse_mode handling: HTML, MarkdownV2 and legacy Markdown to (text, entities).

Errors use Telegram's wording (``Bad Request: can't parse entities: ...``) so a bot
that forgets to escape user input fails here as it would in production.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from sandbox.errors import ApiError, bad_request

_HTML_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_HTML_ALL = set(_HTML_SIMPLE) | {"a", "span", "tg-emoji", "tg-time"}
_ATTR_RE = re.compile(r"""([a-zA-Z-]+)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")
_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def entities_error(text: str) -> ApiError:
    return bad_request(f"can't parse entities: {text}")


@dataclass
class _Builder:
    parts: list[str] = field(default_factory=list)
    length: int = 0
    entities: list[dict[str, Any]] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.length += utf16_len(text)

    def entity(self, kind: str, start: int, extra: dict[str, Any] | None = None) -> None:
        if self.length > start:
            entity: dict[str, Any] = {"type": kind, "offset": start, "length": self.length - start}
            entity.update(extra or {})
            self.entities.append(entity)

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        ents = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), ents


def parse(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """Apply ``parse_mode``; unknown modes are refused like Telegram does."""
    if not parse_mode:
        return text, []
    mode = parse_mode.lower()
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    raise bad_request(f"unsupported parse_mode {parse_mode}")


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    stack: list[tuple[str, int, dict[str, Any] | None, str]] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "&":
            end = text.find(";", i)
            if end != -1 and end - i <= 10:
                decoded = html.unescape(text[i : end + 1])
                if decoded != text[i : end + 1]:
                    out.add(decoded)
                    i = end + 1
                    continue
            out.add(ch)
            i += 1
            continue
        if ch != "<":
            out.add(ch)
            i += 1
            continue
        end = text.find(">", i)
        if end == -1:
            raise entities_error(f"Unclosed start tag at byte offset {_byte_offset(text, i)}")
        inner = text[i + 1 : end].strip()
        closing = inner.startswith("/")
        if closing:
            name = inner[1:].strip().lower()
            if not stack:
                raise entities_error(
                    f'Unexpected end tag "{name}" at byte offset {_byte_offset(text, i)}'
                )
            open_name, start, extra, kind = stack.pop()
            if name != open_name:
                raise entities_error(
                    f"Unmatched end tag at byte offset {_byte_offset(text, i)}, "
                    f'expected "</{open_name}>", found "</{name}>"'
                )
            if kind:
                out.entity(kind, start, extra)
            i = end + 1
            continue
        match = re.match(r"[a-zA-Z][a-zA-Z0-9-]*", inner)
        name = match.group(0).lower() if match else ""
        if name not in _HTML_ALL:
            raise entities_error(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, i)}'
            )
        attrs = {k.lower(): (v or "").strip("\"'") for k, v in _ATTR_RE.findall(inner[len(name) :])}
        new_kind, new_extra = _html_entity(name, attrs, stack)
        if new_kind is None:
            raise entities_error(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, i)}'
            )
        stack.append((name, out.length, new_extra, new_kind))
        i = end + 1
    if stack:
        raise entities_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.result()


def _html_entity(
    name: str, attrs: dict[str, str], stack: list[tuple[str, int, dict[str, Any] | None, str]]
) -> tuple[str | None, dict[str, Any] | None]:
    if name == "a":
        href = attrs.get("href", "")
        if href.startswith("tg://user?id="):
            return "text_mention", {
                "user": {"id": int(href.split("=", 1)[1] or 0), "is_bot": False, "first_name": ""}
            }
        return "text_link", {"url": href}
    if name == "span":
        return ("spoiler", None) if attrs.get("class") == "tg-spoiler" else (None, None)
    if name == "tg-emoji":
        return "custom_emoji", {"custom_emoji_id": attrs.get("emoji-id", "")}
    if name == "tg-time":
        return "", None
    if name == "blockquote" and "expandable" in attrs:
        return "expandable_blockquote", None
    if name == "code" and stack and stack[-1][0] == "pre":
        lang = attrs.get("class", "")
        if lang.startswith("language-"):
            _, start, _, _ = stack[-1]
            stack[-1] = ("pre", start, {"language": lang[len("language-") :]}, "pre")
        return "", None
    return _HTML_SIMPLE[name], None


_MDV2_NAMES = {
    "*": "bold",
    "_": "italic",
    "__": "underline",
    "~": "strikethrough",
    "||": "spoiler",
}
_ENTITY_TITLE = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
}


def parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    stack: list[tuple[str, int, int]] = []  # marker, start, byte offset
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            if i + 1 < n:
                out.add(text[i + 1])
                i += 2
                continue
            raise entities_error(
                "Character '\\' is reserved and must be escaped with the preceding '\\'"
            )
        if ch == "`":
            fence = "```" if text.startswith("```", i) else "`"
            close = _find_unescaped(text, fence, i + len(fence))
            if close == -1:
                kind = "Pre" if fence == "```" else "Code"
                raise entities_error(
                    f"Can't find end of {kind} entity at byte offset {_byte_offset(text, i)}"
                )
            body = text[i + len(fence) : close]
            extra: dict[str, Any] | None = None
            if fence == "```":
                first, sep, rest = body.partition("\n")
                if sep and first and " " not in first:
                    extra, body = {"language": first}, rest
            start = out.length
            out.add(re.sub(r"\\(.)", r"\1", body))
            out.entity("pre" if fence == "```" else "code", start, extra)
            i = close + len(fence)
            continue
        marker = "__" if text.startswith("__", i) else "||" if text.startswith("||", i) else ch
        if marker in _MDV2_NAMES:
            if stack and stack[-1][0] == marker:
                _, start, _ = stack.pop()
                out.entity(_MDV2_NAMES[marker], start)
            elif any(m == marker for m, _, _ in stack):
                raise entities_error(
                    f"Can't find end of {_ENTITY_TITLE[_MDV2_NAMES[marker]]} entity "
                    f"at byte offset {_byte_offset(text, i)}"
                )
            else:
                stack.append((marker, out.length, _byte_offset(text, i)))
            i += len(marker)
            continue
        if ch == "[":
            stack.append(("[", out.length, _byte_offset(text, i)))
            i += 1
            continue
        if ch == "]" and stack and stack[-1][0] == "[":
            _, start, _ = stack.pop()
            if i + 1 < n and text[i + 1] == "(":
                close = _find_unescaped(text, ")", i + 2)
                if close == -1:
                    raise entities_error(
                        f"Can't find end of a URL at byte offset {_byte_offset(text, i + 1)}"
                    )
                url = re.sub(r"\\(.)", r"\1", text[i + 2 : close])
                out.entity("text_link", start, {"url": url})
                i = close + 1
                continue
            i += 1
            continue
        if ch == ">" and (i == 0 or text[i - 1] == "\n"):
            line_end = text.find("\n", i)
            line_end = n if line_end == -1 else line_end
            inner_text, inner_entities = parse_markdown_v2(text[i + 1 : line_end])
            start = out.length
            for entity in inner_entities:
                entity["offset"] += start
                out.entities.append(entity)
            out.add(inner_text)
            out.entity("blockquote", start)
            i = line_end
            continue
        if ch in _MDV2_RESERVED:
            raise entities_error(
                f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
        out.add(ch)
        i += 1
    if stack:
        marker, _, offset = stack[-1]
        name = _ENTITY_TITLE.get(_MDV2_NAMES.get(marker, "text_link"), "TextUrl")
        raise entities_error(f"Can't find end of {name} entity at byte offset {offset}")
    return out.result()


def _find_unescaped(text: str, needle: str, start: int) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(needle, i):
            return i
        i += 1
    return -1


def parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Legacy Markdown: *bold*, _italic_, `code`, ```pre```, [text](url)."""
    out = _Builder()
    i = 0
    n = len(text)
    kinds = {"*": "bold", "_": "italic"}
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
            continue
        if ch in kinds or ch == "`":
            fence = "```" if text.startswith("```", i) else ch
            close = text.find(fence, i + len(fence))
            if close == -1:
                raise entities_error(
                    f"Can't find end of the entity starting at byte offset {_byte_offset(text, i)}"
                )
            start = out.length
            out.add(text[i + len(fence) : close])
            kind = kinds.get(ch, "pre" if fence == "```" else "code")
            out.entity(kind, start)
            i = close + len(fence)
            continue
        if ch == "[":
            close = text.find("]", i)
            if close != -1 and text.startswith("(", close + 1):
                url_end = text.find(")", close)
                if url_end != -1:
                    start = out.length
                    out.add(text[i + 1 : close])
                    out.entity("text_link", start, {"url": text[close + 2 : url_end]})
                    i = url_end + 1
                    continue
        out.add(ch)
        i += 1
    return out.result()
