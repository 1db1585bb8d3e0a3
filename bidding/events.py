"""Publishing live events of a round in commit order.

`publish()` is called INSIDE the transaction that wrote the change. On PostgreSQL it issues
`pg_notify('fapai_round_events', payload)` in that transaction: PostgreSQL delivers notifications
only on commit and in commit order, so listeners (bidding.realtime, one per process) never see an
event of a rolled-back bid and never see two events of a round out of order. Elsewhere (SQLite,
the embedded default) the frame is handed to this process's listeners on commit. The frame is
serialised once here; the fan-out writes the same bytes to every socket."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from django.db import connection, transaction

CHANNEL = "fapai_round_events"
MAX_PAYLOAD = 7900  # PostgreSQL's NOTIFY payload limit is 8000 bytes

# In-process listeners: fn(round_id, seq, frame_bytes). bidding.realtime registers its hub here.
_local: list[Callable[[int, int, bytes], None]] = []


def subscribe_local(fn: Callable[[int, int, bytes], None]) -> None:
    if fn not in _local:
        _local.append(fn)


def deliver_local(round_id: int, seq: int, frame: bytes) -> None:
    for fn in list(_local):
        fn(round_id, seq, frame)


def encode(event: dict[str, Any]) -> bytes:
    return orjson.dumps(event)


def payload(round_id: int, seq: int, frame: bytes) -> str:
    text = f"{round_id}|{seq}|{frame.decode()}"
    if len(text.encode()) > MAX_PAYLOAD:
        # Too big to notify: tell listeners to resync this round from the database instead.
        text = f"{round_id}|{seq}|" + orjson.dumps({"type": "resync", "round": round_id, "seq": seq}).decode()
    return text


def parse(text: str) -> tuple[int, int, bytes]:
    round_id, seq, frame = text.split("|", 2)
    return int(round_id), int(seq), frame.encode()


def publish(round_id: int, seq: int, event: dict[str, Any]) -> None:
    """Publish `event` (seq = the round's last seq after the change) in commit order."""
    frame = encode(event)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, payload(round_id, seq, frame)])
    else:
        transaction.on_commit(lambda: deliver_local(round_id, seq, frame))


def round_status_event(rnd: Any) -> dict[str, Any]:
    """The `status` frame: the round's full live state, so applying it twice is harmless. Its seq is
    the round's current last seq (no new one): a client that has less resyncs."""
    from core import clock

    def ms(at: Any) -> int | None:
        return int(at.timestamp() * 1000) if at is not None else None

    return {"type": "status", "round": rnd.pk, "seq": rnd.bid_count, "server_time": ms(clock.now()),
            "status": rnd.status, "effective_end": ms(rnd.effective_end),
            "current_price_fen": rnd.current_price_fen, "leader_code": rnd.leader_code,
            "extension_count": rnd.extension_count, "bid_count": rnd.bid_count}


def on_transitioned(sender: Any, *, obj: Any, field: str, source: str, target: str, **kwargs: Any) -> None:
    """Receiver of core.signals.transitioned (sent inside the transaction that changed the state):
    every status change of an AuctionRound (open, stay, suspend, resume, close → sold/failed, …) goes
    out as a `status` event in commit order, like the bids."""
    from auction.models import AuctionRound

    if sender is not AuctionRound or field != "status":
        return
    publish(obj.pk, obj.bid_count, round_status_event(obj))
    if target in (AuctionRound.Status.STAYED, AuctionRound.Status.SUSPENDED) or (
            source in (AuctionRound.Status.STAYED, AuctionRound.Status.SUSPENDED) and target in (
            AuctionRound.Status.ANNOUNCED, AuctionRound.Status.BIDDING)):
        notify_registrants_of_stay(obj, resumed=target in (AuctionRound.Status.ANNOUNCED, AuctionRound.Status.BIDDING))


def notify_registrants_of_stay(rnd: Any, *, resumed: bool) -> None:
    """A stay, suspension or resumption reaches everyone registered for the round, with the court's
    published reason (WP art.28), in the transaction that changed the status."""
    from django.urls import reverse

    from bidding.models import Registration
    from core import notify

    users = [r.bidder.user for r in Registration.objects.filter(round=rnd).exclude(
        status=Registration.Status.CANCELLED).select_related("bidder__user")]
    kind = "round_resumed" if resumed else "round_stayed"
    notify.notify(users, kind, {"lot": rnd.lot.title, "reason": rnd.status_reason or "—"},
                  key=f"round:{rnd.pk}:{kind}:{rnd.status_changed_at.isoformat()}",
                  url=reverse("lot_detail", args=[rnd.lot_id]) + f"?round={rnd.pk}")


def connect() -> None:
    from core.signals import transitioned

    transitioned.connect(on_transitioned, dispatch_uid="bidding.events.on_transitioned")
