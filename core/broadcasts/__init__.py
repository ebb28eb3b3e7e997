"""Broadcast follow-ups: live progress, cancel and recall, without Telegram specifics."""
