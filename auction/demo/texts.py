"""The publication texts of a demo round, written the way Chinese courts word them: the auction or
sell-off notice (竞买公告 / 变卖公告), the bidding terms (竞买须知) and the payment instructions.
They are demo content in Chinese, not interface text, so they are not translated."""

from __future__ import annotations

from datetime import datetime

from auction.models import AuctionRound, Court, Lot, PriorityHolder, TaxAllocation
from core import clock
from core.money import format_fen

K = AuctionRound.Kind
KIND_WORD = {K.FIRST: "第一次拍卖", K.SECOND: "第二次拍卖", K.SELL_OFF: "变卖"}
KIND_ACTIVITY = {K.FIRST: "第一次公开拍卖活动", K.SECOND: "第二次公开拍卖活动", K.SELL_OFF: "公开变卖活动"}
BASIS_WORD = {PriorityHolder.Basis.TENANT: "承租人", PriorityHolder.Basis.CO_OWNER: "共有人",
              PriorityHolder.Basis.SHAREHOLDER: "股东", PriorityHolder.Basis.OTHER: "法定优先购买权人"}
TAX_WORD = {TaxAllocation.Tax.DEED_TAX: "契税", TaxAllocation.Tax.VAT: "增值税",
            TaxAllocation.Tax.LAND_VAT: "土地增值税", TaxAllocation.Tax.INCOME_TAX: "所得税",
            TaxAllocation.Tax.STAMP_DUTY: "印花税",
            TaxAllocation.Tax.PROPERTY_FEES: "欠缴物业费", TaxAllocation.Tax.UTILITIES: "欠缴水、电、燃气费",
            TaxAllocation.Tax.OTHER: "其他费用"}
PAYER_WORD = {TaxAllocation.Payer.BUYER: "由买受人承担", TaxAllocation.Payer.DEBTOR: "由被执行人承担",
              TaxAllocation.Payer.BY_LAW: "由纳税义务人依照法律规定承担", TaxAllocation.Payer.COURT: "由本院依法确定"}


def yuan(fen: int) -> str:
    """4,795,000元 (whole yuan) or 7,056,000.50元, as notices write amounts."""
    return f"{format_fen(fen, symbol='').removesuffix('.00')}元"


def _when(at: datetime) -> str:
    local = at.astimezone(clock.SHANGHAI)
    return f"{local.year}年{local.month}月{local.day}日{local.hour}时{local.minute:02d}分"


def notice_text(*, court: Court, case_number: str, lot: Lot, kind: AuctionRound.Kind, start_price_fen: int,
                increment_fen: int, deposit_fen: int, bidding_start: datetime, bidding_end: datetime,
                holders: list[PriorityHolder], taxes: list[TaxAllocation]) -> str:
    """The notice (WP arts.12, 13): the lot, the prices, the time, the rules, the rights and the court."""
    sell_off = kind == K.SELL_OFF
    verb = "变卖" if sell_off else "拍卖"
    parts = [
        f"{court.name}将于{_when(bidding_start)}起至{_when(bidding_end)}止（延时的除外）在本网络司法拍卖平台上对"
        f"{lot.title}进行{KIND_ACTIVITY[kind]}。执行案号：{case_number}。现公告如下：",
        f"一、{verb}标的：{lot.title}。{lot.description}",
    ]
    if sell_off:
        parts.append(
            f"二、变卖价：{yuan(start_price_fen)}；变卖预缴款：{yuan(deposit_fen)}（即全额变卖价）；"
            f"加价幅度：{yuan(increment_fen)}；变卖期六十日。变卖期内第一位竞买人缴纳预缴款并出价后，进入二十四小时竞价程序，"
            "其他竞买人可在二十四小时内缴纳预缴款参与竞价；竞价结束前五分钟内有人出价的，自动延时五分钟，延时次数不限。"
        )
    else:
        parts.append(
            f"二、起拍价：{yuan(start_price_fen)}（保留价即起拍价）；保证金：{yuan(deposit_fen)}；加价幅度：{yuan(increment_fen)}。"
            "竞价规则：至少一人报名且出价不低于起拍价，方可成交。拍卖结束前五分钟内有人出价的，自动延时五分钟，延时次数不限。"
        )
    parts.append(
        f"三、标的物现状：{lot.occupancy}已知瑕疵：{lot.known_defects}本院对标的物瑕疵不承担担保责任，"
        "竞买人参与竞买即视为对标的物现状及全部瑕疵的认可。"
    )
    if holders:
        names = "、".join(f"{h.name}（{BASIS_WORD[PriorityHolder.Basis(h.basis)]}）" for h in holders)
        parts.append(f"四、优先购买权：{names}享有优先购买权，经合议庭确认后以优先竞买代码参与竞价，同等价格下优先竞得。")
    else:
        parts.append("四、优先购买权：经本院调查，该标的物无已知优先购买权人。")
    if lot.special_qualifications:
        parts.append(f"五、竞买人资格：{lot.special_qualifications}")
    else:
        parts.append("五、竞买人资格：具备完全民事行为能力的自然人、法人或非法人组织均可参与竞买。")
    tax_lines = "；".join(
        t.note or f"{TAX_WORD[TaxAllocation.Tax(t.tax)]}{PAYER_WORD[TaxAllocation.Payer(t.payer)]}" for t in taxes)
    parts += [
        f"六、税费负担：{tax_lines}。",
        "七、保证金（预缴款）由平台冻结，竞买成功者的保证金自动转入本院账户并抵作价款，未竞得者的保证金在竞价结束后"
        "二十四小时内解冻。买受人悔拍的，交纳的保证金不予退还。",
        f"八、看样安排：{lot.viewing}",
        f"九、本院执行局咨询电话：{court.phone}；监督电话：{court.supervision_phone}；地址：{court.address}。",
        f"{court.name}",
    ]
    return "\n\n".join(parts)


TERMS_TEXT = """一、本次网络司法拍卖活动遵循公开、公平、公正、诚实信用的原则，竞买人应遵守本须知及竞买公告的全部规定。
二、竞买人应具备完全民事行为能力，法律、行政法规和司法解释对买受人有资格限制的，应当具备相应资格。人民法院、网络服务提供者、承担拍卖辅助工作的社会机构及其工作人员和近亲属不得竞买。
三、竞买人须实名注册并通过身份认证，在竞价结束前交纳保证金，取得竞买代码后方可出价。委托他人代为竞买的，须在竞价开始前向本院办理委托手续并经本院确认。
四、竞买人的身份信息、竞买代码在竞价结束前予以保密。出价记录以竞买代码显示，竞价结束后平台自动生成成交确认书并公示买受人真实身份。
五、出价以平台服务器收到出价的时间为准。出价应不低于起拍价，并按加价幅度的整数倍递增；竞价结束前五分钟内有人出价的，竞价结束时间自动延后五分钟，延时次数不限。
六、优先购买权人经本院确认后取得优先竞买代码，可以与其他竞买人的最高出价相同的价格出价；无更高出价的，优先购买权人竞得。顺序不同的优先购买权人以相同价格出价的，顺序在先者竞得；顺序相同的，出价在先者竞得。
七、标的物以现状拍卖。竞买人应在竞买前自行看样、了解标的物状况及可能存在的瑕疵，参与竞买即视为认可标的物的全部已知和未知瑕疵。
八、买受人应在竞买公告确定的期限内将余款交入本院指定账户。买受人悔拍的，保证金不予退还，依次用于支付拍卖产生的费用损失、弥补重新拍卖价款低于原拍卖价款的差价、冲抵本案被执行人的债务以及与拍卖财产相关的被执行人的债务。
九、拍卖成交裁定送达买受人时标的物所有权或者其他财产权转移。买受人凭成交裁定及协助执行通知书自行办理权属变更登记。"""

SELL_OFF_TERMS_TEXT = TERMS_TEXT.replace("在竞价结束前交纳保证金", "交纳全额变卖预缴款").replace(
    "买受人悔拍的，保证金不予退还", "买受人悔拍的，从预缴款中扣除相当于保证金的数额不予退还")


def terms_text(kind: AuctionRound.Kind) -> str:
    return SELL_OFF_TERMS_TEXT if kind == K.SELL_OFF else TERMS_TEXT


def payment_text(*, court: Court, bank: str, account: str, case_number: str, balance_due_days: int,
                 kind: AuctionRound.Kind) -> str:
    deposit = "变卖预缴款" if kind == K.SELL_OFF else "保证金"
    return (
        f"{deposit}通过平台在线支付并冻结，冻结期间不计利息，竞价结束前均可交纳（建议提前一至两日交纳，避免银行限额影响）。\n"
        f"成交后，买受人应于竞价结束之日起{balance_due_days}日内将余款（成交价扣除保证金）交入本院执行款专户：\n"
        f"户名：{court.name}\n开户行：{bank}\n账号：{account}\n"
        f"汇款时请注明执行案号{case_number}及标的物名称。逾期未付余款的，视为悔拍。\n"
        "网络司法拍卖过程中平台不向买受人收取佣金；拍卖辅助工作费用由被执行人承担。"
    )
