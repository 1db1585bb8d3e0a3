"""The bid chain of a round. Each accepted bid's hash covers its public fields, a nonce only its
bidder receives, and the previous bid's hash; the seal publishes the last hash (the root). A
bidder's receipt holds the hashed fields, so anyone can recompute its hash and walk the published
chain from it to the root. The formula is documented in docs/bidding.md; changing it breaks every
published receipt."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson

VERSION = "fapai-bid-v1"


def genesis(round_id: int) -> str:
    return hashlib.sha256(f"fapai:round:{round_id}".encode()).hexdigest()


def timestamp(at: datetime) -> str:
    """Microsecond ISO-8601 in UTC: the one textual form of a receipt time."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def bid_hash(*, round_id: int, seq: int, code: str, amount_fen: int, received_at: str, is_priority: bool,
             receipt_nonce: str, prev_hash: str) -> str:
    body = {"v": VERSION, "round": round_id, "seq": seq, "code": code, "amount_fen": amount_fen,
            "received_at": received_at, "priority": is_priority, "nonce": receipt_nonce, "prev": prev_hash}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def receipt_hash(receipt: dict[str, Any]) -> str:
    return bid_hash(round_id=int(receipt["round"]), seq=int(receipt["seq"]), code=str(receipt["code"]),
                    amount_fen=int(receipt["amount_fen"]), received_at=str(receipt["received_at"]),
                    is_priority=bool(receipt["priority"]), receipt_nonce=str(receipt["nonce"]),
                    prev_hash=str(receipt["prev_hash"]))
