"""Button payloads for schemes and membership. Versioned prefixes; every press is re-checked."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from core.enums import MembershipStatus, Role


class SetupStep(StrEnum):
    """What a button in the /newscheme conversation does."""

    STANDARD_RULES = "rules"
    RETENTION = "keep"
    PHOTOS = "photos"
    CREATE = "create"
    EDIT = "edit"
    BACK = "back"
    CANCEL = "cancel"


class SetupCallback(CallbackData, prefix="s1n"):
    """A press in the /newscheme conversation; `flow` refuses buttons from older ones."""

    step: SetupStep
    value: str = ""
    flow: str


class LinkCallback(CallbackData, prefix="s1l"):
    """A coordinator's choice in a group after /linkgroup; only `for_user` may press it."""

    scheme_id: int
    for_user: int
    move: bool = False
    keep: bool = False


class InviteCallback(CallbackData, prefix="s1i"):
    """A coordinator choosing the scheme, then the kind, of a new invite."""

    scheme_id: int
    kind: str = ""


class RevokeInviteCallback(CallbackData, prefix="s1v"):
    """A coordinator revoking an invite link they made."""

    invite_id: int


class JoinStep(StrEnum):
    """What a button in the trader registration does."""

    ACCEPT = "accept"
    DECLINE = "decline"
    BACK = "back"
    CANCEL = "cancel"


class JoinCallback(CallbackData, prefix="s1j"):
    """A press in the trader registration; `flow` refuses buttons from older ones."""

    step: JoinStep
    flow: str
    at: str = ""


class DecisionAction(StrEnum):
    """What a coordinator does with a request to join."""

    APPROVE = "ok"
    REJECT = "no"
    REASON = "why"
    CANCEL = "keep"


class DecisionCallback(CallbackData, prefix="s1d"):
    """A coordinator deciding a request to join; `reason` picks a preset reason."""

    action: DecisionAction
    membership_id: int
    reason: int = -1


class MembersCallback(CallbackData, prefix="s1m"):
    """A coordinator paging a scheme's members, searching, or going back to the list."""

    scheme_id: int
    page: int = 0
    search: bool = False


class MemberAction(StrEnum):
    """What a coordinator does to one member."""

    OPEN = "open"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    REMOVE = "remove"
    CONFIRM_REMOVE = "removeyes"
    ROLES = "roles"
    ROLE = "role"


class MemberCallback(CallbackData, prefix="s1a"):
    """A press on one member; `expected` is their status when the button was made."""

    action: MemberAction
    membership_id: int
    expected: MembershipStatus | None = None
    role: Role | None = None


class RemoveNewcomerCallback(CallbackData, prefix="s1g"):
    """A coordinator removing someone who joined the scheme's group without approval."""

    scheme_id: int
    user_id: int
