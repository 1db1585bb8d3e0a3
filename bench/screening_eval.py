"""Evaluate collusion and shill screening (bidding.screening) on real eBay bid streams with injected
attacks, and run the UCI Shill Bidding Dataset check.

    .venv/bin/python bench/screening_eval.py            # the figures in docs/screening.md
    .venv/bin/python bench/screening_eval.py --seed 3   # another draw of the attacks

The 628 real auctions of Jank & Shmueli (../shared/data/ebay_jank_shmueli/auction.csv) are replayed as
they are. Every real bidder gets synthetic identity attributes (its own device and payment account;
an IP address of its own, or for 12 % of bidders one of 40 shared carrier addresses). Then, in auctions
drawn at random and disjoint between kinds, five kinds of attack are injected; the injected accounts
are the ground truth:

- shill: a new account answers genuine bids within minutes by one increment, 3–8 times, and stops
  before 85 % of the duration, below the final price;
- alternating: two new accounts alternate 6–10 bids at the minimum increment in one burst, then stop;
- cover: a designated winner and two cover accounts across 3 auctions; the covers bid once early near
  the opening price, the winner outbids the real field at the end;
- abstention: a ring of 3 people registered together for 4 auctions; in each all but the designated
  member abstain (registered, no bid) and the designated member wins; members take turns;
- multi_account: one person behind 2–3 accounts that share a device and a payment account (and an IP
  address) and all bid in the same auction.

Scores are the screening scores of each (auction, account). Per kind and overall: precision and recall
at the flag threshold (settings.FAPAI_SCREENING["flag"]) and PR-AUC (average precision), at the bidder
level (positives: the injected accounts; negatives: every real bidder) and at the round level
(positives: the attacked auctions; negatives: the untouched ones). Also the false-positive rate on the
untouched real auctions, which are assumed honest (they are unlabelled: some may not be).
Printed as JSON and as a Markdown table; not part of the test run."""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import sys
import time
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("FAPAI_TEST_DB", "sqlite")

import django

django.setup()

from django.conf import settings  # noqa: E402
from sklearn.ensemble import IsolationForest  # noqa: E402
from sklearn.metrics import average_precision_score, roc_auc_score  # noqa: E402

from bidding.screening import engine, logs  # noqa: E402
from bidding.screening.engine import AuctionLog, BidEvent  # noqa: E402

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
EBAY = DATA / "ebay_jank_shmueli" / "auction.csv"
UCI = DATA / "uci_shill_bidding" / "Shill_Bidding_Dataset.csv"
KINDS = ("shill", "alternating", "cover", "abstention", "multi_account")


def _attributes(auctions: list[AuctionLog], rng: random.Random) -> None:
    """Synthetic identity attributes of the real bidders (the eBay data has none)."""
    shared_ips = [f"100.64.{i}.1" for i in range(40)]
    per_bidder: dict[str, dict[str, set[str]]] = {}
    for a in auctions:
        for b in a.bidders:
            if b not in per_bidder:
                own = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
                ip = rng.choice(shared_ips) if rng.random() < 0.12 else own
                per_bidder[b] = {"device": {f"dev-{b}"}, "instrument": {f"acct-{b}"}, "ip": {ip}}
            a.attributes[b] = copy.deepcopy(per_bidder[b])


def _users_per_ip(auctions: list[AuctionLog]) -> dict[tuple[str, str], int]:
    users: dict[str, set[str]] = {}
    for a in auctions:
        for code, attrs in a.attributes.items():
            for ip in attrs.get("ip", ()):
                users.setdefault(ip, set()).add(a.person(code))
    return {("ip", ip): len(who) for ip, who in users.items()}


def _add(a: AuctionLog, code: str, bids: list[tuple[int, float]], attrs: dict[str, set[str]] | None = None,
         person: str | None = None) -> None:
    a.bids.extend(BidEvent(code, amount, t) for amount, t in bids)
    a.bids.sort(key=lambda b: b.t)
    a.identities[code] = person or f"synthetic:{code}"
    n = zlib.crc32(code.encode())  # not hash(): that changes from run to run
    a.attributes[code] = attrs or {"device": {f"dev-{code}"}, "instrument": {f"acct-{code}"},
                                   "ip": {f"192.168.{n % 250}.{n % 199 + 1}"}}


def _standing(a: AuctionLog, t: float) -> int:
    return max([a.start_price, *(b.amount for b in a.bids if b.t <= t)])


def inject_shill(a: AuctionLog, rng: random.Random, tag: str) -> list[str]:
    final, code = a.final_price, f"{tag}-shill"
    genuine = [b for b in a.bids if b.t < 0.85 * a.duration]
    rng.shuffle(genuine)
    bids: list[tuple[int, float]] = []
    for b in sorted(genuine[: rng.randint(3, 8)], key=lambda x: x.t):
        t = b.t + rng.uniform(60, 600)
        price = max(_standing(a, t), *(p for p, _t in bids), 0) + engine.min_increment(a, _standing(a, t))
        if price < final and t < 0.85 * a.duration:
            bids.append((price, t))
    if len(bids) < 3:
        return []
    _add(a, code, bids)
    return [code]


def inject_alternating(a: AuctionLog, rng: random.Random, tag: str) -> list[str]:
    x, y = f"{tag}-alt1", f"{tag}-alt2"
    t = rng.uniform(0.3, 0.7) * a.duration
    price = _standing(a, t)
    out: dict[str, list[tuple[int, float]]] = {x: [], y: []}
    for i in range(rng.randint(6, 10)):
        price += engine.min_increment(a, price)
        t += rng.uniform(30, 300)
        out[x if i % 2 == 0 else y].append((price, t))
    if price >= a.final_price:
        return []
    for code, bids in out.items():
        _add(a, code, bids)
    return [x, y]


def inject_cover(group: list[AuctionLog], rng: random.Random, tag: str) -> list[list[str]]:
    winner, covers = f"{tag}-winner", [f"{tag}-cover1", f"{tag}-cover2"]
    labels = []
    for a in group:
        for i, c in enumerate(covers):
            _add(a, c, [(a.start_price + engine.min_increment(a, a.start_price) * (i + 1),
                         rng.uniform(0.02, 0.3) * a.duration)], person=f"synthetic:{c}")
        _add(a, winner, [(a.final_price + engine.min_increment(a, a.final_price), 0.97 * a.duration)],
             person=f"synthetic:{winner}")
        labels.append([winner, *covers])
    return labels


def inject_abstention(group: list[AuctionLog], rng: random.Random, tag: str) -> list[list[str]]:
    ring = [f"{tag}-ring{i}" for i in range(3)]
    labels = []
    for k, a in enumerate(group):
        designated = ring[k % 3]
        top = a.final_price + engine.min_increment(a, a.final_price)
        _add(a, designated, [(top, rng.uniform(0.9, 0.99) * a.duration)], person=f"synthetic:{designated}")
        for member in ring:
            if member != designated:  # registered for the round, then abstained
                a.identities[member] = f"synthetic:{member}"
                a.attributes[member] = {"device": {f"dev-{member}"}, "instrument": {f"acct-{member}"}}
        labels.append(list(ring))
    return labels


def inject_multi(a: AuctionLog, rng: random.Random, tag: str) -> list[str]:
    codes = [f"{tag}-acct{i}" for i in range(rng.randint(2, 3))]
    shared = {"device": {f"dev-{tag}"}, "instrument": {f"acct-{tag}"}, "ip": {f"192.0.2.{rng.randrange(1, 255)}"}}
    final = a.final_price
    for code in codes:
        bids = []
        for _ in range(rng.randint(1, 3)):
            t = rng.uniform(0.05, 0.9) * a.duration
            price = _standing(a, t) + engine.min_increment(a, _standing(a, t)) * rng.randint(1, 4)
            if price < final:
                bids.append((price, t))
        if not bids:
            bids = [(a.start_price, 0.1 * a.duration)]
        _add(a, code, bids, attrs=copy.deepcopy(shared), person=f"synthetic:{code}")
    return codes


def build(seed: int) -> tuple[list[AuctionLog], dict[str, str], dict[tuple[str, str], str]]:
    """The auctions with attacks injected; the kind of each attacked auction; the kind of each
    injected (auction, account)."""
    rng = random.Random(seed)
    auctions = logs.read_ebay(EBAY)
    _attributes(auctions, rng)
    usable = [a for a in auctions if len(a.bids) >= 5 and a.final_price > a.start_price]
    rng.shuffle(usable)
    plan = {"shill": 30, "alternating": 30, "cover": 45, "abstention": 40, "multi_account": 30}
    picks: dict[str, list[AuctionLog]] = {}
    for kind, n in plan.items():
        picks[kind], usable = usable[:n], usable[n:]
    round_kind: dict[str, str] = {}
    account_kind: dict[tuple[str, str], str] = {}

    def mark(a: AuctionLog, kind: str, codes: list[str]) -> None:
        if codes:
            round_kind[a.key] = kind
            for c in codes:
                account_kind[(a.key, c)] = kind

    for i, a in enumerate(picks["shill"]):
        mark(a, "shill", inject_shill(a, rng, f"s{i}"))
    for i, a in enumerate(picks["alternating"]):
        mark(a, "alternating", inject_alternating(a, rng, f"a{i}"))
    for g in range(15):
        group = picks["cover"][3 * g: 3 * g + 3]
        for a, codes in zip(group, inject_cover(group, rng, f"c{g}"), strict=True):
            mark(a, "cover", codes)
    for g in range(10):
        group = picks["abstention"][4 * g: 4 * g + 4]
        for a, codes in zip(group, inject_abstention(group, rng, f"r{g}"), strict=True):
            mark(a, "abstention", codes)
    for i, a in enumerate(picks["multi_account"]):
        mark(a, "multi_account", inject_multi(a, rng, f"m{i}"))
    users = _users_per_ip(auctions)
    for a in auctions:
        a.attribute_users = users
    return auctions, round_kind, account_kind


def _rates(labels: list[int], scores: list[float], flag: int) -> dict[str, Any]:
    predicted = [s >= flag for s in scores]
    tp = sum(1 for y, p in zip(labels, predicted, strict=True) if y and p)
    fp = sum(1 for y, p in zip(labels, predicted, strict=True) if not y and p)
    positives = sum(labels)
    return {"positives": positives, "negatives": len(labels) - positives,
            "precision": round(tp / (tp + fp), 3) if tp + fp else None,
            "recall": round(tp / positives, 3) if positives else None,
            "pr_auc": round(float(average_precision_score(labels, scores)), 3) if positives else None}


def evaluate(seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    auctions, round_kind, account_kind = build(seed)
    thresholds = settings.FAPAI_SCREENING
    flag = thresholds["flag"]
    results = {r.key: r for r in engine.screen(auctions, thresholds=thresholds)}
    screen_seconds = time.perf_counter() - started
    bidder_rows = []  # (kind or "", score)
    for a in auctions:
        r = results[a.key]
        for code in {*a.bidders, *a.identities}:
            bidder_rows.append((account_kind.get((a.key, code), ""), float(r.bidder_scores.get(code, 0))))
    out: dict[str, Any] = {"seed": seed, "auctions": len(auctions), "bids": sum(len(a.bids) for a in auctions),
                           "flag": flag, "bidder_level": {}, "round_level": {}}
    negatives_b = [s for k, s in bidder_rows if not k]
    negatives_r = [float(results[a.key].score) for a in auctions if a.key not in round_kind]
    for kind in (*KINDS, "overall"):
        pos_b = [s for k, s in bidder_rows if k and (kind == "overall" or k == kind)]
        out["bidder_level"][kind] = _rates([1] * len(pos_b) + [0] * len(negatives_b), pos_b + negatives_b, flag)
        pos_r = [float(results[key].score) for key, k in round_kind.items() if kind == "overall" or k == kind]
        out["round_level"][kind] = _rates([1] * len(pos_r) + [0] * len(negatives_r), pos_r + negatives_r, flag)
    untouched = [a for a in auctions if a.key not in round_kind]
    flagged = [a for a in untouched if results[a.key].score >= flag]
    out["untouched"] = {
        "auctions": len(untouched),
        "false_positive_rate_rounds": round(len(flagged) / len(untouched), 4),
        "false_positive_rate_bidders": round(sum(1 for s in negatives_b if s >= flag) / len(negatives_b), 4),
        "reasons_on_flagged": dict(Counter(x.code for a in flagged for x in results[a.key].reasons)),
    }
    out["seconds"] = {"screening": round(screen_seconds, 1)}
    out["uci"] = uci_check()
    out["seconds"]["total"] = round(time.perf_counter() - started, 1)
    return out


def uci_check() -> dict[str, Any]:
    """The UCI data set has only its eight features, no bids, so fapai's screening cannot run on it.
    Checked instead: our shill-score formula applied to its columns, and our isolation forest over the
    eight features, against its labels. Caveat: its labels were made by clustering these same features,
    so high figures here are expected and say nothing about detecting real shills."""
    import csv

    with UCI.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    names = ["Bidder_Tendency", "Bidding_Ratio", "Successive_Outbidding", "Last_Bidding", "Auction_Bids",
             "Starting_Price_Average", "Early_Bidding", "Winning_Ratio"]
    matrix = [[float(r[n]) for n in names] for r in rows]
    labels = [int(r["Class"]) for r in rows]
    f = {n: [m[i] for m in matrix] for i, n in enumerate(names)}
    # Our shill score on their columns: quick response has no column; successive outbidding stands in.
    # Their labelled shills win MORE often (Winning_Ratio alone: ROC AUC 0.82), against the literature's
    # "shills rarely win" that gates our score, so the formula is reported with and without the gate.
    body = [0.3 * so + 0.3 * so + 0.2 * lb + 0.2 * min(1.0, 2 * br)
            for so, lb, br in zip(f["Successive_Outbidding"], f["Last_Bidding"], f["Bidding_Ratio"], strict=True)]
    ours = [(1 - w) * b for w, b in zip(f["Winning_Ratio"], body, strict=True)]
    forest = -IsolationForest(n_estimators=200, random_state=0).fit(matrix).score_samples(matrix)
    return {
        "rows": len(rows), "positives": sum(labels),
        "shill_score_formula": {"roc_auc": round(float(roc_auc_score(labels, ours)), 3),
                                "pr_auc": round(float(average_precision_score(labels, ours)), 3)},
        "shill_score_without_win_gate": {"roc_auc": round(float(roc_auc_score(labels, body)), 3),
                                         "pr_auc": round(float(average_precision_score(labels, body)), 3)},
        "isolation_forest": {"roc_auc": round(float(roc_auc_score(labels, forest)), 3),
                             "pr_auc": round(float(average_precision_score(labels, forest)), 3)},
        "successive_outbidding_alone": {"roc_auc": round(float(roc_auc_score(labels, f["Successive_Outbidding"])), 3)},
        "caveat": "labels were derived from these same features by clustering; not a measure of detection",
    }


def markdown(r: dict[str, Any]) -> str:
    def row(*cells: Any) -> str:
        return "| " + " | ".join(str(c) for c in cells) + " |"

    lines = [f"Seed {r['seed']}: {r['auctions']} auctions, {r['bids']} bids, flag at {r['flag']} points; "
             f"screening took {r['seconds']['screening']} s, everything {r['seconds']['total']} s.", "",
             row("attack", "bidders (pos / neg)", "precision", "recall", "PR-AUC", "rounds (pos / neg)", "precision",
                 "recall", "PR-AUC"), row(*["---"] * 9)]
    for kind in (*KINDS, "overall"):
        b, g = r["bidder_level"][kind], r["round_level"][kind]
        lines.append(row(kind, f"{b['positives']} / {b['negatives']}", b["precision"], b["recall"], b["pr_auc"],
                         f"{g['positives']} / {g['negatives']}", g["precision"], g["recall"], g["pr_auc"]))
    u, q = r["untouched"], r["uci"]
    lines += ["", f"Untouched real auctions: {u['auctions']}; flagged {u['false_positive_rate_rounds']:.2%} of the "
              f"rounds and {u['false_positive_rate_bidders']:.2%} of the bidders; reasons on the flagged: "
              f"{u['reasons_on_flagged']}.", "",
              row("UCI check (caveat: labels come from the features)", "ROC AUC", "PR-AUC"), row("---", "---", "---")]
    for label, key in (("our shill-score formula on its columns", "shill_score_formula"),
                       ("the same without the 'rarely wins' gate", "shill_score_without_win_gate"),
                       ("isolation forest over its 8 features", "isolation_forest")):
        lines.append(row(label, q[key]["roc_auc"], q[key]["pr_auc"]))
    lines.append(row("Successive_Outbidding alone", q["successive_outbidding_alone"]["roc_auc"], "—"))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    result = evaluate(args.seed)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    print()
    print(markdown(result))


if __name__ == "__main__":
    main()
