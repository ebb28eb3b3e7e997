"""Broadcast button payloads shared by the composer and the progress message."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class FollowUp(StrEnum):
    """What a coordinator does next about an alert that has gone out."""

    UPDATE = "update"
    CANCEL = "cancel"
    RECALL = "recall"


class FollowUpCallback(CallbackData, prefix="b1f"):
    """A press on the progress message of an alert: send an update, cancel or recall it."""

    alert_id: int
    action: FollowUp


class ConfirmCallback(CallbackData, prefix="b1k"):
    """The coordinator's answer to "cancel (or recall) this alert?": go ahead, or keep it."""

    alert_id: int
    action: FollowUp
    go: bool


class FailedAction(StrEnum):
    """What a coordinator does about copies that could not be delivered."""

    SHOW = "show"
    RETRY = "retry"


class FailedCallback(CallbackData, prefix="b1d"):
    """A press on "Show failed" or "Retry failed" for one alert's dead-lettered copies."""

    alert_id: int
    action: FailedAction
