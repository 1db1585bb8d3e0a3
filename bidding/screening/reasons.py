"""The reason codes of the screening score: the points each one adds and the sentence that explains
it to the court, in both languages. One table, so that a reader finds every rule's weight in one place;
settings.FAPAI_SCREENING["points"] may override a weight."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class ReasonKind:
    code: str
    points: int
    group: str  # identity | pattern | round | across | outlier
    zh: str
    en: str


_KINDS = [
    # Identity links: raised live, by bidder code only; they never block a bid.
    ReasonKind("shared_instrument", 40, "identity", "竞买号 {a} 与 {b} 使用同一保证金支付账户",
               "codes {a} and {b} paid their deposits from the same account"),
    ReasonKind("shared_device", 35, "identity", "竞买号 {a} 与 {b} 使用同一设备",
               "codes {a} and {b} used the same device"),
    ReasonKind("shared_phone", 30, "identity", "竞买号 {a} 与 {b} 登记了同一手机号码",
               "codes {a} and {b} registered the same mobile phone number"),
    ReasonKind("shared_address", 20, "identity", "竞买号 {a} 与 {b} 登记了同一联系地址",
               "codes {a} and {b} gave the same address"),
    ReasonKind("shared_ip", 20, "identity", "竞买号 {a} 与 {b} 使用同一 IP 地址（该地址共有 {users} 个账户使用）",
               "codes {a} and {b} used the same IP address (used by {users} accounts in all)"),
    ReasonKind("linked_debtor", 35, "identity", "竞买号 {a} 的{attribute_zh}与本案被执行人相同",
               "code {a} shares its {attribute_en} with the debtor of this case"),
    ReasonKind("linked_creditor", 15, "identity", "竞买号 {a} 的{attribute_zh}与本案申请执行人相同",
               "code {a} shares its {attribute_en} with the applicant creditor of this case"),
    ReasonKind("linked_staff", 40, "identity", "竞买号 {a} 与本院工作人员使用了同一{attribute_zh}",
               "code {a} shares its {attribute_en} with a member of the court's staff"),
    # Bid patterns of one round.
    ReasonKind("alternating_min", 30, "pattern", "竞买号 {a} 与 {b} 连续 {n} 次以最低加价幅度交替出价",
               "codes {a} and {b} alternated {n} bids in a row at the minimum increment"),
    ReasonKind("shill_pattern", 25, "pattern",
               "竞买号 {a} 的出价方式像抬价者：紧跟他人出价、多为最低加价、在结束前退出且未竞得（得分 {score}）",
               "code {a} bid like a shill: right after others' bids, mostly at the minimum increment, "
               "stopping before the end without winning (score {score})"),
    ReasonKind("successive_outbidding", 10, "pattern", "竞买号 {a} 在自己领先时又连续加价 {n} 次",
               "code {a} raised its own leading bid {n} times"),
    ReasonKind("jump_bid", 10, "pattern", "竞买号 {a} 一次加价 {steps} 个加价幅度",
               "code {a} raised the price by {steps} increments in one bid"),
    ReasonKind("cover_bidders", 15, "pattern", "竞买号 {codes} 只在前期出价后即停止，远低于成交价",
               "codes {codes} bid only early and stopped far below the final price"),
    # The round as a whole.
    ReasonKind("few_active", 15, "round", "{registrants} 人报名，但只有 {active} 个竞买号出价",
               "{registrants} registered but only {active} codes bid"),
    ReasonKind("near_start", 15, "round", "成交价仅比起拍价高 {steps} 个加价幅度，而有 {registrants} 人报名",
               "the closing price is only {steps} increments above the start price with {registrants} registered"),
    ReasonKind("low_ratio", 15, "round", "成交价为参考价的 {ratio}%，同类拍品通常为 {typical}%",
               "sold at {ratio}% of the reference price, against a usual {typical}% for this asset type and court"),
    ReasonKind("winner_defaulted", 20, "round", "竞得人 {a} 未按期支付余款（悔拍）",
               "the winner {a} did not pay the balance (default)"),
    # Across rounds.
    ReasonKind("ring", 30, "across",
               "竞买号 {codes} 属于同一团体：共同出现在 {rounds} 场拍卖中，极少相互竞价，且轮流竞得",
               "codes {codes} belong to one group: together in {rounds} auctions, they rarely bid against "
               "each other and take turns winning"),
    ReasonKind("repeated_pair", 15, "across", "竞得人 {a} 与 {b} 已在 {n} 场拍卖中以同样的胜负关系相遇",
               "the winner {a} and {b} have met in {n} auctions with the same one winning"),
    ReasonKind("cover_group", 30, "across",
               "竞得人 {a} 与竞买号 {others} 已在 {n} 场拍卖中同场出现，每次都由同一人竞得",
               "the winner {a} and codes {others} have met in {n} auctions, always with the same one winning"),
    ReasonKind("outlier", 10, "outlier", "竞买号 {a} 的出价特征在可比竞买人中异常（离群分 {score}）",
               "code {a}'s bidding features are unusual among comparable bidders (outlier score {score})"),
]
KINDS: dict[str, ReasonKind] = {k.code: k for k in _KINDS}

# The attribute names inside the identity sentences.
ATTRIBUTES: dict[str, tuple[str, str]] = {
    "name": ("姓名或名称", "name"),
    "phone": ("手机号码", "mobile phone number"),
    "address": ("联系地址", "address"),
    "device": ("设备", "device"),
    "ip": ("IP 地址", "IP address"),
    "instrument": ("支付账户", "payment account"),
}


def points_for(code: str) -> int:
    return int(settings.FAPAI_SCREENING.get("points", {}).get(code, KINDS[code].points))


@dataclass(frozen=True)
class Reason:
    """One scored finding: `subjects` are the bidder codes it names (empty for the round itself)."""

    code: str
    subjects: tuple[str, ...]
    points: int
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, language: str) -> str:
        kind = KINDS[self.code]
        params = dict(self.params)
        params.setdefault("a", self.subjects[0] if self.subjects else "")
        params.setdefault("b", self.subjects[1] if len(self.subjects) > 1 else "")
        sep = "、" if language.startswith("zh") else ", "
        params.setdefault("codes", sep.join(self.subjects))
        if "attribute" in params:
            params["attribute_zh"], params["attribute_en"] = ATTRIBUTES[params["attribute"]]
        return (kind.zh if language.startswith("zh") else kind.en).format(**params)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "subjects": list(self.subjects), "points": self.points, "params": self.params,
                "zh_hans": self.text("zh-hans"), "en": self.text("en")}


def reason(code: str, subjects: tuple[str, ...] | list[str], **params: Any) -> Reason:
    return Reason(code, tuple(subjects), points_for(code), params)


def as_reason(stored: Any) -> Reason:
    """A stored ScreeningReason row as a Reason (for its sentence)."""
    return Reason(stored.code, tuple(stored.subjects), stored.points, dict(stored.params))
