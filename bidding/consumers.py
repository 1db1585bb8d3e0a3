"""The WebSocket of a live round, `/ws/rounds/<id>/` (wire protocol: docs/realtime.md).

Anyone may watch; bidding needs the session of a registered bidder. The consumer only translates
frames: bids go to the round's writer (bidding.writer → services.do_bids_place), reads to
bidding.selectors, and events arrive through the process hub (bidding.realtime), already encoded.
Channels' default dispatch closes old database connections in a thread before every message; this
consumer never touches the database on the event loop, so it dispatches directly (design.md)."""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

import orjson
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError
from django.utils import translation
from django.utils.translation import gettext_lazy as _  # rendered in the socket's language by error()

from bidding import selectors, writer
from bidding.realtime import hub
from bidding.services import CLIENT_ID_RE, BidAttempt
from core import clock

MAX_FRAME = 2048
log = logging.getLogger("fapai.realtime")


def send_buffer_limit() -> int:
    """Bytes a socket may have waiting to be written before it counts as unable to keep up. Larger
    than the biggest frame (a `missed` of 500 bids is ~150 KB)."""
    return int(getattr(settings, "FAPAI_WS_SEND_BUFFER", 1 << 20))


def transport_of(send: Any) -> Any:
    """The TCP transport under an ASGI `send` as daphne builds it: partial(server.handle_reply,
    protocol), possibly wrapped by Channels' session middleware (a bound `send` whose owner keeps
    `real_send`). None under any other server: then sends are not bounded here."""
    for _depth in range(8):
        if isinstance(send, functools.partial):
            protocol = send.args[0] if send.args else None
            return getattr(protocol, "transport", None)
        owner = getattr(send, "__self__", None)
        send = getattr(owner, "real_send", None)
        if send is None:
            return None
    return None


def backlog(transport: Any) -> int:
    """Bytes written to a Twisted transport and not yet accepted by the kernel (0 if unknown)."""
    try:
        return len(transport.dataBuffer) - transport.offset + transport._tempDataLen
    except (AttributeError, TypeError):
        return 0


def language_of(scope: dict[str, Any]) -> str:
    cookie = (scope.get("cookies") or {}).get(settings.LANGUAGE_COOKIE_NAME, "")
    if cookie in ("en", "zh-hans"):
        return cookie
    for name, value in scope.get("headers", []):
        if name == b"accept-language":
            first = re.split(r"[,;]", value.decode("latin-1").strip().lower())[0]
            return "en" if first.startswith("en") else "zh-hans"
    return settings.LANGUAGE_CODE


class RoundConsumer(AsyncWebsocketConsumer):
    # Events reach the socket through the process hub, never through the channel layer. An alias that
    # is not configured makes Channels skip the layer: otherwise every socket would SUBSCRIBE in
    # Redis on connect, and no one could connect (or reconnect) while Redis is down.
    channel_layer_alias = "fapai-no-layer"
    round_id: int
    language: str
    transport: Any = None
    overflowed = False

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)

    async def send_frame(self, text: str) -> None:
        """Write a frame unless the socket cannot keep up. Daphne never makes `send` wait (Twisted
        buffers without bound), so a client that stops reading would grow this process's memory
        and never stall the room, but never recover either: past the limit its connection is
        dropped; the client reconnects and resyncs from its last seq."""
        if self.overflowed:
            return
        if self.transport is not None and backlog(self.transport) > send_buffer_limit():
            self.overflowed = True
            log.info("round %s: a socket cannot keep up; dropping it", getattr(self, "round_id", "?"))
            if hasattr(self, "round_id"):
                hub.leave(self.round_id, self)
            self.transport.abortConnection()
            return
        await self.send(text_data=text)

    async def send_json(self, frame: dict[str, Any]) -> None:
        await self.send_frame(orjson.dumps(frame).decode())

    def user_id(self) -> int | None:
        user = self.scope.get("user")
        return user.pk if user is not None and user.is_authenticated else None

    async def connect(self) -> None:
        self.round_id = int(self.scope["url_route"]["kwargs"]["round_id"])
        self.language = language_of(self.scope)
        try:
            snapshot = await writer.run_db(selectors.live_snapshot, self.round_id, user_id=self.user_id())
        except DatabaseError:  # unreachable: tell the client, close with 1013 "try again later"; it reconnects
            await self.accept()
            await self.error("unavailable", _("The live data could not be loaded; it will be retried."))
            await self.close(code=1013)
            return
        if snapshot is None:
            await self.close(code=4404)
            return
        await self.accept()
        self.transport = transport_of(self.base_send)
        await hub.join(self.round_id, self, snapshot["seq"])
        snapshot["watcher_count"] = max(snapshot["watcher_count"], hub.local_watchers(self.round_id))
        await self.send_json(snapshot)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "round_id"):
            hub.leave(self.round_id, self)

    async def error(self, code: str, message: Any, **extra: Any) -> None:
        with translation.override(self.language):
            await self.send_json({"type": "error", "code": code, "message": str(message), **extra})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.overflowed:
            return  # dropped; what it still asked for is not answered
        raw = text_data if text_data is not None else (bytes_data or b"").decode("utf-8", "replace")
        if len(raw.encode()) > MAX_FRAME:
            await self.error("too_large", _("The message is too large."))
            return
        try:
            message = orjson.loads(raw)
        except orjson.JSONDecodeError:
            await self.error("malformed", _("The message is not valid JSON."))
            return
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "ping":
            await self.send_json({"type": "pong", "server_time": selectors.server_time_ms()})
        elif kind == "resync":
            await self.resync(message.get("last_seq"))
        elif kind == "bid":
            await self.bid(message)
        else:
            await self.error("unknown_type", _("Unknown message type."))

    async def resync(self, last_seq: Any) -> None:
        if not isinstance(last_seq, int) or isinstance(last_seq, bool) or last_seq < 0:
            await self.error("malformed", _("resync needs last_seq, a whole number ≥ 0."))
            return
        try:
            missed = await writer.run_db(selectors.bids_after, self.round_id, last_seq)
            snapshot = None
            if missed is None:
                snapshot = await writer.run_db(selectors.live_snapshot, self.round_id, user_id=self.user_id())
        except DatabaseError:  # the database is unreachable: say so and keep the socket; the client resyncs later
            await self.error("unavailable", _("The live data could not be loaded; it will be retried."))
            return
        if missed is None:
            if snapshot is not None:
                snapshot["watcher_count"] = hub.local_watchers(self.round_id)
                await self.send_json(snapshot)
            return
        seq = missed[-1]["seq"] if missed else last_seq
        await self.send_json({"type": "missed", "round": self.round_id, "bids": missed, "seq": seq,
                              "server_time": selectors.server_time_ms()})

    async def bid(self, message: dict[str, Any]) -> None:
        received_at = clock.now()  # the receipt time that counts (WP art.20), before any queue
        user_id = self.user_id()
        if user_id is None:
            await self.error("not_authenticated", _("Log in to bid."))
            return
        client_id, amount = message.get("client_id"), message.get("amount_fen")
        if not isinstance(client_id, str) or not CLIENT_ID_RE.match(client_id):
            await self.error("malformed", _("The bid message has no valid client id."))
            return
        if not isinstance(amount, int) or isinstance(amount, bool):
            await self.error("malformed", _("The amount must be a positive whole number of fen."))
            return
        attempt = BidAttempt(round_id=self.round_id, user_id=user_id, client_id=client_id, amount_fen=amount,
                             received_at=received_at, language=self.language)
        try:
            outcome = await writer.submit(attempt)
        except Exception:  # e.g. the database is unreachable; a resend with this client id gets the first answer
            # Usually nothing was written; but a commit whose answer the crash swallowed did happen, so
            # the message does not promise otherwise.
            await self.error("unavailable", _("The bid could not be processed just now; try again. If it was "
                                              "recorded, it shows in the bid record."), client_id=client_id)
            return
        await self.send_json(outcome.frame())
