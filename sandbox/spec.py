"""The Bot API specification (``spec/api.json``): parameter coercion and shape checks.

Incoming parameters arrive as strings (query string, form fields), JSON values or
uploaded files. :meth:`ApiSpec.coerce_params` turns them into Python values following
the spec's declared field types, refusing missing required parameters and wrong types
with Telegram-like ``Bad Request`` descriptions. :meth:`ApiSpec.check_shape` checks that
a JSON value the sandbox produces only uses fields the spec declares.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).with_name("spec") / "api.json"

_CONST_RE = re.compile(r"(?:must be|always) [\"“]?([a-z_]+)[\"”]?$")
_INT_RE = re.compile(r"^-?\d+$")
# Fields newer than the bundled spec (Bot API 10.1) that the installed aiogram (Bot API
# 10.3) requires in answers; the sandbox sends them and the shape check accepts them.
NEWER_API_FIELDS: dict[str, frozenset[str]] = {
    "ChatMemberAdministrator": frozenset({"can_send_welcome_messages"}),
    "ChatAdministratorRights": frozenset({"can_send_welcome_messages"}),
}
# Telegram's own wording for a few missing parameters.
_MISSING = {"chat_id": "chat_id is empty", "text": "message text is empty"}


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    types: tuple[str, ...]
    required: bool


@dataclass(frozen=True)
class MethodSpec:
    name: str
    fields: dict[str, FieldSpec]
    returns: tuple[str, ...]

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields.values() if f.required]


@dataclass(frozen=True)
class TypeSpec:
    name: str
    fields: dict[str, FieldSpec]
    subtypes: tuple[str, ...]
    constants: dict[str, str] = field(default_factory=dict)


class ParamError(Exception):
    """A parameter is missing or has the wrong type; ``description`` is Telegram's text."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class _Invalid(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _field(raw: dict[str, Any]) -> FieldSpec:
    return FieldSpec(str(raw["name"]), tuple(raw["types"]), bool(raw["required"]))


class ApiSpec:
    """Methods and types of the Bot API, loaded from the machine-readable spec."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.version: str = str(raw.get("version", ""))
        self.methods: dict[str, MethodSpec] = {}
        for name, m in raw["methods"].items():
            fields = {f["name"]: _field(f) for f in m.get("fields", [])}
            self.methods[name] = MethodSpec(name, fields, tuple(m.get("returns", [])))
        self.types: dict[str, TypeSpec] = {}
        for name, t in raw["types"].items():
            fields = {f["name"]: _field(f) for f in t.get("fields", [])}
            consts: dict[str, str] = {}
            for f in t.get("fields", []):
                if f["types"] == ["String"] and f["name"] in ("type", "status", "source"):
                    match = _CONST_RE.search(str(f.get("description", "")).strip())
                    if match:
                        consts[f["name"]] = match.group(1)
            self.types[name] = TypeSpec(name, fields, tuple(t.get("subtypes", [])), consts)

    @classmethod
    def load(cls, path: Path = SPEC_PATH) -> ApiSpec:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    # ------------------------------------------------------------------ input
    def coerce_params(
        self,
        method: str,
        raw: dict[str, Any],
        files: dict[str, UploadedFile],
    ) -> dict[str, Any]:
        """Coerce ``raw`` parameters of ``method``; unknown parameters are dropped."""
        spec = self.methods[method]
        out: dict[str, Any] = {}
        for name, fspec in spec.fields.items():
            value = raw.get(name)
            if value is None or (isinstance(value, str) and value == "" and fspec.required):
                if fspec.required:
                    raise ParamError(f"Bad Request: {_MISSING.get(name, name + ' is required')}")
                continue
            try:
                out[name] = self._coerce(value, fspec.types, files, top=True)
            except _Invalid as exc:
                raise ParamError(f"Bad Request: invalid parameter {name!r}: {exc.reason}") from exc
        return out

    def _coerce(
        self, value: Any, types: tuple[str, ...], files: dict[str, UploadedFile], top: bool
    ) -> Any:
        reasons: list[str] = []
        # Try the non-string alternatives first so "Integer or String" gets an int.
        ordered = sorted(types, key=lambda t: t == "String")
        for type_name in ordered:
            try:
                return self._coerce_one(value, type_name, files, top)
            except _Invalid as exc:
                reasons.append(exc.reason)
        raise _Invalid(reasons[0] if len(reasons) == 1 else "; ".join(reasons))

    def _coerce_one(
        self, value: Any, type_name: str, files: dict[str, UploadedFile], top: bool
    ) -> Any:
        if type_name.startswith("Array of "):
            inner = type_name[len("Array of ") :]
            value = _maybe_json(value)
            if not isinstance(value, list):
                raise _Invalid(f"expected an array of {inner}")
            return [self._coerce(item, (inner,), files, top=False) for item in value]
        if type_name == "Integer":
            return _as_int(value)
        if type_name == "Float":
            return _as_float(value)
        if type_name == "Boolean":
            return _as_bool(value)
        if type_name == "True":
            if _as_bool(value) is not True:
                raise _Invalid("expected True")
            return True
        if type_name == "String":
            if isinstance(value, str):
                if value.startswith("attach://") and value[9:] in files:
                    # InputMedia*.media is a String holding "attach://<part>".
                    return files[value[9:]]
                return value
            if isinstance(value, bool):
                return "true" if value else "false"
            if isinstance(value, int | float):
                return str(value)
            raise _Invalid("expected a String")
        if type_name == "InputFile":
            if isinstance(value, UploadedFile):
                return value
            if isinstance(value, str) and value.startswith("attach://"):
                name = value[len("attach://") :]
                if name in files:
                    return files[name]
                raise _Invalid(f"file attach://{name} not found in the request")
            raise _Invalid("expected an uploaded file")
        tspec = self.types.get(type_name)
        if tspec is None:
            raise _Invalid(f"unknown type {type_name}")
        if type_name == "KeyboardButton" and isinstance(value, str):
            return {"text": value}
        value = _maybe_json(value)
        if not isinstance(value, dict):
            raise _Invalid(f"can't parse {type_name} JSON object")
        return self._coerce_object(value, tspec, files)

    def _coerce_object(
        self, value: dict[str, Any], tspec: TypeSpec, files: dict[str, UploadedFile]
    ) -> dict[str, Any]:
        if tspec.subtypes:
            reasons: list[str] = []
            for sub in tspec.subtypes:
                try:
                    return self._coerce_object(value, self.types[sub], files)
                except _Invalid as exc:
                    reasons.append(f"{sub}: {exc.reason}")
            raise _Invalid(f"can't parse {tspec.name}: " + "; ".join(reasons))
        for key, const in tspec.constants.items():
            if key in value and value[key] != const:
                raise _Invalid(f"{tspec.name}.{key} must be {const!r}")
        out: dict[str, Any] = {}
        for name, fspec in tspec.fields.items():
            item = value.get(name)
            if item is None:
                if fspec.required:
                    raise _Invalid(f"field {name!r} of {tspec.name} is required")
                continue
            try:
                out[name] = self._coerce(item, fspec.types, files, top=False)
            except _Invalid as exc:
                raise _Invalid(f"field {name!r} of {tspec.name}: {exc.reason}") from exc
        return out

    # ----------------------------------------------------------------- output
    def check_shape(
        self, value: Any, types: tuple[str, ...] | list[str], path: str = ""
    ) -> list[str]:
        """Errors (empty if none) of ``value`` against any of the spec ``types``."""
        best: list[str] | None = None
        for type_name in types:
            errors = self._check_one(value, type_name, path or type_name)
            if not errors:
                return []
            if best is None or len(errors) < len(best):
                best = errors
        return best or [f"{path}: no type given"]

    def _check_one(self, value: Any, type_name: str, path: str) -> list[str]:
        if type_name.startswith("Array of "):
            inner = type_name[len("Array of ") :]
            if not isinstance(value, list):
                return [f"{path}: expected an array"]
            errors: list[str] = []
            for i, item in enumerate(value):
                errors += self._check_one(item, inner, f"{path}[{i}]")
            return errors
        checks: dict[str, bool] = {
            "Integer": isinstance(value, int) and not isinstance(value, bool),
            "Float": isinstance(value, int | float) and not isinstance(value, bool),
            "Boolean": isinstance(value, bool),
            "True": value is True,
            "String": isinstance(value, str),
        }
        if type_name in checks:
            return [] if checks[type_name] else [f"{path}: expected {type_name}, got {value!r}"]
        tspec = self.types.get(type_name)
        if tspec is None:
            return [f"{path}: unknown spec type {type_name}"]
        if not isinstance(value, dict):
            return [f"{path}: expected a {type_name} object"]
        if tspec.subtypes:
            return self.check_shape(value, tspec.subtypes, path)
        errors = []
        for key, const in tspec.constants.items():
            if value.get(key) != const:
                errors.append(f"{path}.{key}: must be {const!r}")
        for key, item in value.items():
            fspec = tspec.fields.get(key)
            if fspec is None and key in NEWER_API_FIELDS.get(type_name, ()):
                continue
            if fspec is None:
                errors.append(f"{path}.{key}: not a field of {type_name}")
                continue
            errors += self.check_shape(item, fspec.types, f"{path}.{key}")
        for name, fspec in tspec.fields.items():
            if fspec.required and name not in value:
                errors.append(f"{path}.{name}: required field of {type_name} missing")
        return errors


@cache
def default_spec() -> ApiSpec:
    """The bundled spec, loaded once."""
    return ApiSpec.load()


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise _Invalid("can't parse JSON") from exc
    return value


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise _Invalid("expected an Integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_RE.match(value.strip()):
        return int(value.strip())
    raise _Invalid("expected an Integer")


def _as_float(value: Any) -> float:
    if isinstance(value, bool):
        raise _Invalid("expected a Float")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError as exc:
            raise _Invalid("expected a Float") from exc
    raise _Invalid("expected a Float")


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "false", "0"):
        return value.strip().lower() in ("true", "1")
    raise _Invalid("expected a Boolean")
