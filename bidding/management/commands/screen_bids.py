"""Score an external bid log: `python manage.py screen_bids FILE --format ebay|fapai [--out report.json]`.
Writes per-round and per-bidder scores with their reasons in zh-hans and en (docs/screening.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bidding.screening import engine, logs


class Command(BaseCommand):
    help = "Score a bid log (eBay CSV layout or fapai's bid export) for collusion and shill bidding."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=["ebay", "fapai"], required=True)
        parser.add_argument("--out", type=Path, help="write the JSON report here (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            auctions = (logs.read_ebay if options["format"] == "ebay" else logs.read_fapai)(path)
        except (logs.LogError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        thresholds = settings.FAPAI_SCREENING
        results = engine.screen(auctions, thresholds=thresholds)
        report = {
            "file": str(path), "format": options["format"],
            "thresholds": {"flag": thresholds["flag"], "high": thresholds["high"]},
            "summary": {"rounds": len(results), "flagged": sum(r.level != "none" for r in results),
                        "high": sum(r.level == "high" for r in results),
                        "bids": sum(len(a.bids) for a in auctions)},
            "rounds": [_round(r) for r in sorted(results, key=lambda r: (-r.score, r.key))],
        }
        data = orjson.dumps(report, option=orjson.OPT_INDENT_2)
        if options["out"]:
            options["out"].write_bytes(data)
            s = report["summary"]
            self.stdout.write(f"{s['rounds']} rounds, {s['bids']} bids: {s['flagged']} flagged, {s['high']} high "
                              f"-> {options['out']}")
        else:
            self.stdout.write(data.decode())


def _round(r: engine.RoundResult) -> dict[str, Any]:
    out = r.as_dict()
    bidders = []
    for bidder, points in sorted(r.bidder_scores.items(), key=lambda kv: (-kv[1], kv[0])):
        bidders.append({"bidder": bidder, "score": points,
                        "reasons": [x.code for x in r.reasons if bidder in x.subjects],
                        "features": out["features"].get(bidder, {})})
    out["bidders"] = bidders
    del out["features"], out["bidder_scores"]
    return out
