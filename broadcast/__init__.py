"""Delivering alerts to many people at Telegram's limits, durably (see interface.py)."""
