"""Pacing every send under Telegram's limits: bot-wide, per chat and per group.

Both limiters run the same GCRA (generic cell rate algorithm) with reservations: a granted
send gets a slot in the shared schedule and waits for it, so a crowd of senders never stampedes
on one freed token. A chat that has had its share is reported busy without using a bot-wide
slot. A 429 from Telegram pauses everyone, and the schedule resumes after the pause.

`MemoryLimiter` serves one process (SQLite deployments); `RedisLimiter` keeps every process
that shares one Redis in one schedule, with one Lua script per batch of requests.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from redis.asyncio import Redis

from broadcast.config import Bucket, EngineConfig
from broadcast.interface import ChatKind, Slot, SlotRequest, Verdict

# Forget per-chat state this long after a chat's schedule has passed (memory limiter).
CHAT_MEMORY_LIMIT = 50_000


class MemoryLimiter:
    """The schedule for one process."""

    def __init__(
        self, config: EngineConfig, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.config = config
        self._monotonic = monotonic
        self._free_tat = 0.0
        self._paid_tat = 0.0
        self._pause_until = 0.0
        self._chats: dict[int, float] = {}

    async def reserve(self, requests: Sequence[SlotRequest]) -> list[Slot]:
        """A slot, or a time to ask again, for each requested send."""
        now = self._monotonic()
        if self._pause_until > now:
            return [Slot(Verdict.PAUSED, self._pause_until - now)] * len(requests)
        config = self.config
        free, paid = config.free_bucket, config.paid_bucket
        slots: list[Slot] = []
        for request in requests:
            if request.paid:
                start = max(now, self._paid_tat - paid.tolerance)
            else:
                start = max(now, self._free_tat - free.tolerance)
            if start - now > config.horizon_seconds:
                slots.append(Slot(Verdict.LATER, start - now - config.horizon_seconds))
                continue
            if request.kind != ChatKind.NONE:
                bucket = _chat_bucket(config, request.kind)
                chat_tat = self._chats.get(request.chat_id, 0.0)
                ready = chat_tat - bucket.tolerance
                if ready > start:
                    slots.append(Slot(Verdict.CHAT_BUSY, ready - now))
                    continue
                self._chats[request.chat_id] = max(chat_tat, start) + bucket.interval
            if request.paid:
                self._paid_tat = max(self._paid_tat, start) + paid.interval
            else:
                self._free_tat = max(self._free_tat, start) + free.interval
            slots.append(Slot(Verdict.GO, start - now))
        if len(self._chats) > CHAT_MEMORY_LIMIT:
            self._chats = {chat: tat for chat, tat in self._chats.items() if tat > now}
        return slots

    async def pause_all(self, seconds: float) -> None:
        """Nobody sends for `seconds` (Telegram's retry_after)."""
        until = self._monotonic() + seconds
        self._pause_until = max(self._pause_until, until)
        self._paid_tat = max(self._paid_tat, self._pause_until)
        self._free_tat = max(self._free_tat, self._pause_until)


def _chat_bucket(config: EngineConfig, kind: ChatKind) -> Bucket:
    return config.group_bucket if kind == ChatKind.GROUP else config.private_bucket


# Times are milliseconds of Redis's own clock, so every process shares one. Values are stored
# with string.format: Lua's tostring keeps only 14 significant digits.
RESERVE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local horizon = tonumber(ARGV[1])
local free_interval, free_tolerance = tonumber(ARGV[2]), tonumber(ARGV[3])
local paid_interval, paid_tolerance = tonumber(ARGV[4]), tonumber(ARGV[5])
local chat_interval, chat_tolerance = tonumber(ARGV[6]), tonumber(ARGV[7])
local group_interval, group_tolerance = tonumber(ARGV[8]), tonumber(ARGV[9])
local count = tonumber(ARGV[10])
local out = {}
local pause = tonumber(redis.call('GET', KEYS[3]) or '0')
if pause > now then
  for i = 1, count do
    out[#out + 1] = '3'
    out[#out + 1] = string.format('%.3f', pause - now)
  end
  return out
end
local free_tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local paid_tat = tonumber(redis.call('GET', KEYS[2]) or '0')
for i = 1, count do
  local kind = tonumber(ARGV[9 + 2 * i])
  local paid = ARGV[10 + 2 * i] == '1'
  local start
  if paid then
    start = math.max(now, paid_tat - paid_tolerance)
  else
    start = math.max(now, free_tat - free_tolerance)
  end
  if start - now > horizon then
    out[#out + 1] = '2'
    out[#out + 1] = string.format('%.3f', start - now - horizon)
  else
    local granted = true
    if kind ~= 2 then
      local interval, tolerance = chat_interval, chat_tolerance
      if kind == 1 then interval, tolerance = group_interval, group_tolerance end
      local chat_tat = tonumber(redis.call('GET', KEYS[3 + i]) or '0')
      local ready = chat_tat - tolerance
      if ready > start then
        granted = false
        out[#out + 1] = '1'
        out[#out + 1] = string.format('%.3f', ready - now)
      else
        local next_tat = math.max(chat_tat, start) + interval
        redis.call('SET', KEYS[3 + i], string.format('%.3f', next_tat),
          'PX', math.ceil(next_tat - now + tolerance) + 1000)
      end
    end
    if granted then
      if paid then
        paid_tat = math.max(paid_tat, start) + paid_interval
      else
        free_tat = math.max(free_tat, start) + free_interval
      end
      out[#out + 1] = '0'
      out[#out + 1] = string.format('%.3f', start - now)
    end
  end
end
redis.call('SET', KEYS[1], string.format('%.3f', free_tat),
  'PX', math.ceil(math.max(free_tat - now, 0)) + 60000)
redis.call('SET', KEYS[2], string.format('%.3f', paid_tat),
  'PX', math.ceil(math.max(paid_tat - now, 0)) + 60000)
return out
"""

PAUSE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local until_ms = now + tonumber(ARGV[1])
local pause = tonumber(redis.call('GET', KEYS[3]) or '0')
if pause > until_ms then until_ms = pause end
local ttl = math.ceil(until_ms - now) + 60000
redis.call('SET', KEYS[3], string.format('%.3f', until_ms), 'PX', ttl)
for k = 1, 2 do
  local tat = tonumber(redis.call('GET', KEYS[k]) or '0')
  if tat < until_ms then
    redis.call('SET', KEYS[k], string.format('%.3f', until_ms), 'PX', ttl)
  end
end
return string.format('%.3f', until_ms - now)
"""


class RedisLimiter:
    """One schedule for every process sharing this Redis and key prefix."""

    def __init__(self, redis: Redis, config: EngineConfig, prefix: str = "shopwatch") -> None:
        self.redis = redis
        self.config = config
        self.prefix = f"{prefix}:broadcast"
        self._reserve = redis.register_script(RESERVE_SCRIPT)
        self._pause = redis.register_script(PAUSE_SCRIPT)
        self._shared_keys = [f"{self.prefix}:free", f"{self.prefix}:paid", f"{self.prefix}:pause"]
        config_ms = [
            config.horizon_seconds,
            config.free_bucket.interval,
            config.free_bucket.tolerance,
            config.paid_bucket.interval,
            config.paid_bucket.tolerance,
            config.private_bucket.interval,
            config.private_bucket.tolerance,
            config.group_bucket.interval,
            config.group_bucket.tolerance,
        ]
        self._config_args = [f"{value * 1000:.6f}" for value in config_ms]

    async def reserve(self, requests: Sequence[SlotRequest]) -> list[Slot]:
        """A slot, or a time to ask again, for each requested send."""
        if not requests:
            return []
        keys = [*self._shared_keys]
        args: list[str] = [*self._config_args, str(len(requests))]
        for request in requests:
            keys.append(f"{self.prefix}:chat:{request.chat_id}")
            args.append(str(int(request.kind)))
            args.append("1" if request.paid else "0")
        answer = await self._reserve(keys=keys, args=args)
        return [
            Slot(Verdict(int(answer[index])), float(answer[index + 1]) / 1000.0)
            for index in range(0, len(answer), 2)
        ]

    async def pause_all(self, seconds: float) -> None:
        """Nobody, in any process, sends for `seconds` (Telegram's retry_after)."""
        await self._pause(keys=self._shared_keys, args=[f"{seconds * 1000:.3f}"])
