"""Reading bid logs into screening's AuctionLog: the eBay CSV layout of Jank & Shmueli (one row per
proxy bid; times in days since the start; amounts in dollars) and fapai's own bid export
(bidding.screening.selectors.round_bid_rows)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from bidding.screening.engine import AuctionLog, BidEvent

FAPAI_COLUMNS = ("round", "court", "asset_type", "seller", "start_price_fen", "increment_fen", "reference_price_fen",
                 "registrants", "bidding_start", "bidding_end", "defaulted", "seq", "code", "amount_fen",
                 "received_at")
EBAY_COLUMNS = ("auctionid", "bid", "bidtime", "bidder", "openbid", "item", "auction_type")


class LogError(ValueError):
    pass


def _cents(text: str, line: int) -> int:
    try:
        return int((Decimal(text) * 100).quantize(Decimal(1)))
    except InvalidOperation as exc:
        raise LogError(f"line {line}: not an amount: {text!r}") from exc


def _rows(path: Path, required: Iterable[str]) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in required if c not in (reader.fieldnames or ())]
        if missing:
            raise LogError(f"missing columns: {', '.join(missing)}")
        return list(reader)


def read_ebay(path: Path) -> list[AuctionLog]:
    """Each proxy bid becomes a direct bid (the README's caveat: the stream then differs from the
    displayed prices). Bidder `NA` rows get a placeholder per row; the eBay increment schedule applies."""
    auctions: dict[str, AuctionLog] = {}
    for line, row in enumerate(_rows(path, EBAY_COLUMNS), start=2):
        key = row["auctionid"]
        a = auctions.get(key)
        if a is None:
            try:
                days = int(row["auction_type"].split()[0])
            except (ValueError, IndexError) as exc:
                raise LogError(f"line {line}: unknown auction_type {row['auction_type']!r}") from exc
            a = auctions[key] = AuctionLog(key=key, start_price=_cents(row["openbid"], line), duration=days * 86400.0,
                                           bids=[], category=row["item"])
        bidder = row["bidder"] if row["bidder"] not in ("", "NA") else f"NA-{line}"
        try:
            t = float(row["bidtime"]) * 86400.0
        except ValueError as exc:
            raise LogError(f"line {line}: not a time: {row['bidtime']!r}") from exc
        a.bids.append(BidEvent(bidder, _cents(row["bid"], line), t))
        a.identities[bidder] = f"ebay:{bidder}"
    for a in auctions.values():
        a.bids.sort(key=lambda b: b.t)
    return list(auctions.values())


def _int(text: str, line: int, column: str, *, optional: bool = False) -> int | None:
    if optional and text == "":
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise LogError(f"line {line}: {column} is not a whole number: {text!r}") from exc


def _time(text: str, line: int, column: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise LogError(f"line {line}: {column} is not an ISO time: {text!r}") from exc
    if value.tzinfo is None:
        raise LogError(f"line {line}: {column} has no time zone: {text!r}")
    return value


def read_fapai(path: Path) -> list[AuctionLog]:
    auctions: dict[str, AuctionLog] = {}
    starts: dict[str, datetime] = {}
    for line, row in enumerate(_rows(path, FAPAI_COLUMNS), start=2):
        key = row["round"]
        if key not in auctions:
            start = _time(row["bidding_start"], line, "bidding_start")
            end = _time(row["bidding_end"], line, "bidding_end")
            starts[key] = start
            auctions[key] = AuctionLog(
                key=key, start_price=_int(row["start_price_fen"], line, "start_price_fen") or 0,
                increment=_int(row["increment_fen"], line, "increment_fen"),
                duration=(end - start).total_seconds(), bids=[],
                reference=_int(row["reference_price_fen"], line, "reference_price_fen", optional=True),
                registrants=_int(row["registrants"], line, "registrants", optional=True),
                category=f"{row['court']}:{row['asset_type']}", seller=row["seller"],
                defaulted=row["defaulted"].strip().lower() in ("1", "true", "yes"))
        if row["code"]:
            at = _time(row["received_at"], line, "received_at")
            amount = _int(row["amount_fen"], line, "amount_fen") or 0
            auctions[key].bids.append(BidEvent(row["code"], amount, (at - starts[key]).total_seconds()))
    for a in auctions.values():
        a.bids.sort(key=lambda b: b.t)
    return list(auctions.values())
