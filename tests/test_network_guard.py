"""Tests cannot reach the internet: only this machine."""

from __future__ import annotations

import socket

import aiohttp
import pytest

from tests.support.network_guard import NetworkAccessBlocked


def test_connecting_to_a_public_address_fails() -> None:
    with socket.socket() as sock, pytest.raises(NetworkAccessBlocked):
        sock.connect(("192.0.2.10", 443))


async def test_the_real_telegram_api_is_unreachable() -> None:
    async with aiohttp.ClientSession() as client:
        with pytest.raises(aiohttp.ClientConnectorError) as raised:
            await client.get("https://149.154.167.220/", timeout=aiohttp.ClientTimeout(total=5))
    assert isinstance(raised.value.os_error, NetworkAccessBlocked)
