"""The demo's content: three enforcement courts, seven cases and fifteen lots, each with the story
of its auction rounds. Every name, number and address is fictional. Amounts are in whole yuan
(the loader converts to fen); dates are offsets from the day the demo is loaded, so the demo looks
current whenever it is loaded. Strings with "{year}" are formatted with the relevant year."""

# ruff: noqa: E501 -- Chinese characters count double towards the line width; this file is mostly prose.

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from auction.models import Claim, Encumbrance, Lease, Lot, Party, PriorityHolder, TaxAllocation
from core.roles import STAFF_ROLES

# Round outcomes: the status each round is left in. LIVE is a bidding round that ends within the
# hour; every other BIDDING round ends days later.
DRAFT = "draft"
PANEL_APPROVED = "panel_approved"
ANNOUNCED = "announced"
LIVE = "live"
BIDDING = "bidding"
SOLD = "sold"
FAILED = "failed"
STAYED = "stayed"
SUSPENDED = "suspended"
WITHDRAWN = "withdrawn"
TERMINATED = "terminated"
TAKEN_IN_LIEU = "taken_in_lieu"
STOPS = (STAYED, SUSPENDED, WITHDRAWN, TERMINATED)

DEMO_PASSWORD = "fapai-demo-2026"  # noqa: S105 -- public on purpose: the embedded local demo


@dataclass(frozen=True)
class CourtSpec:
    code: str
    name: str
    name_en: str
    province: str
    city: str
    address: str
    phone: str
    supervision_phone: str
    bank: str
    account: str


@dataclass(frozen=True)
class UserSpec:
    username: str
    display_name: str
    roles: tuple[str, ...]
    court: str | None = None
    superuser: bool = False

    @property
    def staff(self) -> bool:
        """Logs in with a second factor (the demo's public authenticator secret)."""
        return self.superuser or bool(set(self.roles) & STAFF_ROLES)


@dataclass(frozen=True)
class PartySpec:
    key: str
    role: str
    kind: str
    name: str
    contact: str


@dataclass(frozen=True)
class ClaimSpec:
    creditor: str
    title_document: str
    principal_yuan: int
    interest_yuan: int = 0
    priority_class: str = Claim.PriorityClass.ORDINARY
    secured_lot: str | None = None
    registered_months_ago: int | None = None
    seizure_order: int | None = None
    due_months_ago: int | None = None
    verified: bool = True


@dataclass(frozen=True)
class JudgmentSpec:
    """The enforceable title: a civil judgment of the year before the enforcement case."""

    number: str
    court: str
    facts: str
    holdings: tuple[str, ...]
    judges: tuple[str, ...]


@dataclass(frozen=True)
class CaseSpec:
    key: str
    court: str
    type_code: str
    serial: int
    cause: str
    parties: tuple[PartySpec, ...]
    claims: tuple[ClaimSpec, ...]
    judgment: JudgmentSpec
    platform_chosen_by: str = "applicant"


@dataclass(frozen=True)
class EncumbranceSpec:
    kind: str
    holder: str
    description: str
    survives_sale: bool
    amount_yuan: int | None = None
    registered_months_ago: int | None = None


@dataclass(frozen=True)
class LeaseSpec:
    tenant: str
    start_months_ago: int
    term_months: int
    rent_yuan: int
    rent_period: str
    prepaid_months_ahead: int | None
    note: str


@dataclass(frozen=True)
class TaxSpec:
    tax: str
    payer: str
    estimate_yuan: int | None = None
    note: str = ""


@dataclass(frozen=True)
class HolderSpec:
    name: str
    basis: str
    rank: int
    contact: str


@dataclass(frozen=True)
class ReferenceSpec:
    price_yuan: int
    method: str
    source: str  # who fixed it and the document number; "{year}" is the year it was fixed
    basis: str  # how the figure was reached, printed in the pricing-basis PDF


@dataclass(frozen=True)
class RoundSpec:
    """One round of a lot. `start_day` (days from today, bidding starts 10:00) anchors the last
    round of a lot; earlier rounds are placed before it by the planner. Stops and taking in lieu
    happen on `stop_day`. `bids` bids are simulated on sold and bidding rounds, the last `war` of
    them in the closing minutes so the end extends."""

    outcome: str
    start_yuan: int | None = None
    increment_yuan: int = 0
    deposit_yuan: int | None = None
    start_day: int | None = None
    hours: int = 24
    stop_day: int | None = None
    reason: str = ""
    bids: int = 0
    war: int = 0
    in_lieu_creditor: str | None = None
    created_days_ago: int | None = None


@dataclass(frozen=True)
class PhotoSpec:
    drawing: str
    caption: str
    variant: int = 0


@dataclass(frozen=True)
class LotSpec:
    key: str
    case: str
    fields: dict[str, Any]
    reference: ReferenceSpec
    photos: tuple[PhotoSpec, ...]
    rounds: tuple[RoundSpec, ...]
    taxes: tuple[TaxSpec, ...]
    encumbrances: tuple[EncumbranceSpec, ...] = ()
    leases: tuple[LeaseSpec, ...] = ()
    holders: tuple[HolderSpec, ...] = ()
    unreachable: tuple[str, ...] = field(default=())  # party keys notified by public posting


COURTS: tuple[CourtSpec, ...] = (
    CourtSpec("京0105", "北京市朝阳区人民法院", "Beijing Chaoyang District People's Court", "北京市", "北京市",
              "北京市朝阳区朝阳公园南路甲8号", "010-6587 9012", "010-6587 9000",
              "京华银行股份有限公司北京朝阳支行", "1100 2233 4455 6677 0105"),
    CourtSpec("沪0115", "上海市浦东新区人民法院", "Shanghai Pudong New Area People's Court", "上海市", "上海市",
              "上海市浦东新区丁香路611号", "021-5012 3456", "021-5012 3400",
              "沪东商业银行股份有限公司浦东分行", "3100 5566 7788 9900 0115"),
    CourtSpec("粤0106", "广州市天河区人民法院", "Guangzhou Tianhe District People's Court", "广东省", "广州市",
              "广州市天河区天河北路632号", "020-3862 1000", "020-3862 1099",
              "南粤商业银行股份有限公司天河支行", "4400 1122 3344 5566 0106"),
)

USERS: tuple[UserSpec, ...] = (
    UserSpec("admin", "系统管理员", (), superuser=True),
    UserSpec("clerk", "李明（执行局书记员）", ("court_staff",), "京0105"),
    UserSpec("judge", "王立新（执行法官）", ("court_staff", "panel"), "京0105"),
    UserSpec("clerk_pd", "陈思源（执行局书记员）", ("court_staff",), "沪0115"),
    UserSpec("judge_pd", "周慧敏（执行法官）", ("court_staff", "panel"), "沪0115"),
    UserSpec("clerk_th", "黄嘉怡（执行局书记员）", ("court_staff",), "粤0106"),
    UserSpec("judge_th", "梁国栋（执行法官）", ("court_staff", "panel"), "粤0106"),
    UserSpec("finance", "赵会计（财务）", ("finance",), "京0105"),
    UserSpec("approver", "钱局长（执行局局长）", ("approver",), "京0105"),
    UserSpec("supervisor", "孙监督（审计监督）", ("supervisor",)),
    UserSpec("bidder1", "竞买人一", ("bidder",)),
    UserSpec("bidder2", "竞买人二", ("bidder",)),
)

# The collegial panel of each court, as the panel decision lists it.
PANELS: dict[str, tuple[str, str, str]] = {
    "京0105": ("王立新（审判长）", "刘芳（审判员）", "张建国（人民陪审员）"),
    "沪0115": ("周慧敏（审判长）", "徐海峰（审判员）", "钱丽娟（人民陪审员）"),
    "粤0106": ("梁国栋（审判长）", "何婉仪（审判员）", "陈志强（人民陪审员）"),
}

A, D, C = Party.Role.APPLICANT, Party.Role.DEBTOR, Party.Role.CREDITOR
PERSON, ORG, COMPANY = Party.Kind.NATURAL_PERSON, Party.Kind.OTHER_ORG, Party.Kind.COMPANY
P = Claim.PriorityClass

CASES: tuple[CaseSpec, ...] = (
    CaseSpec(
        "cy-loan", "京0105", "执", 1234, "金融借款合同纠纷",
        parties=(
            PartySpec("bank", A, COMPANY, "京华银行股份有限公司北京朝阳支行", "北京市朝阳区建国路88号，010-6500 1188"),
            PartySpec("liu", D, PERSON, "刘志强", "北京市朝阳区望京街道融景家园3号楼2单元1502室，138 1000 2345"),
            PartySpec("wang", D, PERSON, "王丽华", "北京市朝阳区望京街道融景家园3号楼2单元1502室，139 1100 6789"),
        ),
        claims=(
            ClaimSpec("bank", "（{year}）京0105民初18876号民事判决书", 3_286_500, 214_380,
                      P.MORTGAGE, "cy-flat", registered_months_ago=100, due_months_ago=16),
            ClaimSpec("bank", "（{year}）京0105民初18876号民事判决书（信用卡透支部分）", 186_420, 23_915,
                      due_months_ago=16, seizure_order=1),
        ),
        judgment=JudgmentSpec(
            "（{year}）京0105民初18876号", "北京市朝阳区人民法院",
            "原告京华银行股份有限公司北京朝阳支行与被告刘志强、王丽华于2016年签订《个人住房借款合同》，约定借款"
            "人民币3,500,000元，期限240个月，并以被告名下位于北京市朝阳区望京街道融景家园3号楼2单元1502室的房屋"
            "设定抵押，办理了抵押登记。被告自前年起连续逾期还款，经原告催收未果。",
            ("被告刘志强、王丽华于本判决生效之日起十日内偿还原告借款本金3,286,500元及截至实际清偿之日的利息、罚息；",
             "原告对被告名下位于北京市朝阳区望京街道融景家园3号楼2单元1502室房屋折价或者拍卖、变卖所得价款，"
             "在上述第一项债权范围内享有优先受偿权；",
             "被告刘志强于本判决生效之日起十日内偿还原告信用卡透支本金186,420元及利息；",
             "案件受理费35,700元，由被告刘志强、王丽华负担。"),
            ("审判长 陈晓明", "审判员 刘芳", "人民陪审员 张建国"),
        ),
    ),
    CaseSpec(
        "cy-build", "京0105", "执恢", 318, "建设工程施工合同纠纷",
        parties=(
            PartySpec("builder", A, COMPANY, "北京筑远建设工程有限公司", "北京市丰台区南四环西路128号，010-8321 4455"),
            PartySpec("dingtai", D, COMPANY, "北京鼎泰置业有限公司", "北京市朝阳区东三环中路鼎泰大厦8层，010-6588 7766"),
            PartySpec("yanjing", C, COMPANY, "燕京商业银行股份有限公司朝阳支行", "北京市朝阳区朝外大街26号，010-6599 3322"),
        ),
        claims=(
            ClaimSpec("builder", "（{year}）京0105民初9321号民事判决书", 5_680_000, 412_300, P.CONSTRUCTION_PRICE,
                      "cy-shop", due_months_ago=14),
            ClaimSpec("yanjing", "（{year}）京0105民初11207号民事调解书", 6_000_000,
                      386_000, P.MORTGAGE, "cy-shop", registered_months_ago=20, due_months_ago=12),
            ClaimSpec("builder", "（{year}）京0105民初9321号民事判决书（违约金部分）", 356_000, seizure_order=1,
                      due_months_ago=14),
        ),
        judgment=JudgmentSpec(
            "（{year}）京0105民初9321号", "北京市朝阳区人民法院",
            "原告北京筑远建设工程有限公司承建被告北京鼎泰置业有限公司开发的鼎泰大厦项目，工程已竣工验收并交付使用。"
            "被告尚欠工程款5,680,000元未付。",
            ("被告北京鼎泰置业有限公司于本判决生效之日起十五日内支付原告工程款5,680,000元及逾期付款利息；",
             "原告在上述工程款范围内，对其承建的鼎泰大厦折价或者拍卖所得价款享有建设工程价款优先受偿权；",
             "被告于本判决生效之日起十五日内支付原告违约金356,000元；",
             "案件受理费52,400元，由被告负担。"),
            ("审判长 赵文博", "审判员 孙悦", "审判员 马骏"),
        ),
    ),
    CaseSpec(
        "cy-private", "京0105", "执", 2087, "民间借贷纠纷",
        parties=(
            PartySpec("zhao", A, PERSON, "赵建明", "北京市东城区东直门南大街5号院，137 0123 4567"),
            PartySpec("chen", D, PERSON, "陈晓东", "北京市朝阳区酒仙桥路10号，186 0011 2233"),
            PartySpec("xinhe", C, COMPANY, "北京信和小额贷款有限公司", "北京市朝阳区光华路9号，010-6502 8899"),
        ),
        claims=(
            ClaimSpec("zhao", "（{year}）京0105民初23451号民事判决书", 2_400_000, 288_000, due_months_ago=18,
                      seizure_order=1),
            ClaimSpec("xinhe", "（{year}）京0105民初25580号民事判决书", 850_000, 61_200, due_months_ago=12,
                      seizure_order=2),
        ),
        judgment=JudgmentSpec(
            "（{year}）京0105民初23451号", "北京市朝阳区人民法院",
            "原告赵建明向被告陈晓东出借人民币2,400,000元，约定年利率12%，借期一年。借款到期后被告未归还本息。",
            ("被告陈晓东于本判决生效之日起十日内偿还原告赵建明借款本金2,400,000元；",
             "被告陈晓东于本判决生效之日起十日内支付原告赵建明利息288,000元；",
             "案件受理费28,120元，由被告陈晓东负担。"),
            ("审判员 李婧",),
        ),
    ),
    CaseSpec(
        "pd-loan", "沪0115", "执", 3456, "金融借款合同纠纷",
        parties=(
            PartySpec("hudong", A, COMPANY, "沪东商业银行股份有限公司浦东分行", "上海市浦东新区陆家嘴环路1000号，021-6888 1234"),
            PartySpec("puyuan", D, COMPANY, "上海浦远贸易有限公司", "上海市浦东新区张杨路1688号浦远大厦18层"),
            PartySpec("sun", D, PERSON, "孙海涛", "上海市浦东新区锦绣路2580弄12号602室，139 1600 7788"),
        ),
        claims=(
            ClaimSpec("hudong", "（{year}）沪0115民初45678号民事判决书", 8_600_000, 645_000, P.MORTGAGE, "pd-office",
                      registered_months_ago=58, due_months_ago=15),
            ClaimSpec("hudong", "（{year}）沪0115民初45678号民事判决书（保证责任）", 2_000_000, 150_000, P.MORTGAGE,
                      "pd-flat", registered_months_ago=40, due_months_ago=15),
        ),
        judgment=JudgmentSpec(
            "（{year}）沪0115民初45678号", "上海市浦东新区人民法院",
            "原告沪东商业银行股份有限公司浦东分行向被告上海浦远贸易有限公司发放流动资金贷款人民币8,600,000元，"
            "被告以其名下浦远大厦1805室办公用房提供抵押担保，被告孙海涛以其名下住宅提供最高额抵押担保并承担连带保证责任。"
            "贷款到期后被告未能清偿。",
            ("被告上海浦远贸易有限公司于本判决生效之日起十日内归还原告借款本金8,600,000元及利息、罚息；",
             "原告对被告上海浦远贸易有限公司名下浦远大厦1805室折价或者拍卖、变卖所得价款享有优先受偿权；",
             "原告对被告孙海涛名下锦绣路2580弄12号602室房屋在最高额2,000,000元范围内享有优先受偿权；",
             "被告孙海涛对上述债务承担连带清偿责任；案件受理费78,600元，由二被告共同负担。"),
            ("审判长 顾建华", "审判员 沈琳", "人民陪审员 吴国强"),
        ),
    ),
    CaseSpec(
        "pd-trade", "沪0115", "执恢", 612, "买卖合同纠纷",
        parties=(
            PartySpec("hesheng", A, COMPANY, "上海禾盛食品贸易有限公司", "上海市浦东新区金桥路1399号，021-5899 6655"),
            PartySpec("hongtai", D, ORG, "上海鸿泰酒业贸易合伙企业（有限合伙）", "上海市浦东新区外高桥富特北路211号"),
        ),
        claims=(
            ClaimSpec("hesheng", "（{year}）沪0115民初32109号民事判决书", 1_260_000, 97_500, due_months_ago=13,
                      seizure_order=1),
        ),
        judgment=JudgmentSpec(
            "（{year}）沪0115民初32109号", "上海市浦东新区人民法院",
            "原告上海禾盛食品贸易有限公司向被告供应进口食品及酒类，被告尚欠货款1,260,000元，经催讨未付。",
            ("被告上海鸿泰酒业贸易合伙企业（有限合伙）于本判决生效之日起十日内支付原告货款1,260,000元及逾期付款损失；",
             "案件受理费16,140元，由被告负担。"),
            ("审判员 金晓燕",),
        ),
    ),
    CaseSpec(
        "th-private", "粤0106", "执", 4521, "民间借贷纠纷",
        parties=(
            PartySpec("huang", A, PERSON, "黄志伟", "广州市越秀区东风中路300号，135 0000 8899"),
            PartySpec("lin", D, PERSON, "林晓峰", "广州市天河区华景路恒景花园8栋1203房（下落不明）"),
            PartySpec("huitong", C, COMPANY, "广州汇通小额贷款股份有限公司", "广州市天河区珠江新城华夏路16号，020-3839 5566"),
            PartySpec("lida", C, ORG, "广州市天河区利达五金商行（普通合伙）", "广州市天河区岑村东路22号，020-8701 2233"),
        ),
        claims=(
            ClaimSpec("huang", "（{year}）粤0106民初15566号民事判决书", 3_800_000, 342_000, due_months_ago=20,
                      seizure_order=1),
            ClaimSpec("huitong", "（{year}）粤0106民初17789号民事判决书", 1_200_000, 96_000, due_months_ago=14,
                      seizure_order=2),
            ClaimSpec("lida", "（{year}）粤0106民初18802号民事调解书", 286_000, due_months_ago=11, seizure_order=3,
                      verified=False),
        ),
        judgment=JudgmentSpec(
            "（{year}）粤0106民初15566号", "广州市天河区人民法院",
            "原告黄志伟分三次向被告林晓峰出借款项共计3,800,000元，被告出具借条并约定还款期限。到期后被告未还款。",
            ("被告林晓峰于本判决生效之日起十日内向原告黄志伟偿还借款本金3,800,000元及利息；",
             "案件受理费38,200元，由被告林晓峰负担。"),
            ("审判长 邓志明", "审判员 罗小燕", "人民陪审员 冯伟"),
        ),
    ),
    CaseSpec(
        "th-lease", "粤0106", "执", 1876, "融资租赁合同纠纷",
        parties=(
            PartySpec("hengxin", A, COMPANY, "广州恒信融资租赁有限公司", "广州市天河区体育西路191号，020-3877 4411"),
            PartySpec("shunda", D, COMPANY, "广州顺达物流有限公司", "广州市白云区太和镇大源北路88号"),
        ),
        claims=(
            ClaimSpec("hengxin", "（{year}）粤0106民初20931号民事判决书", 2_150_000, 176_000, due_months_ago=12,
                      seizure_order=1),
        ),
        judgment=JudgmentSpec(
            "（{year}）粤0106民初20931号", "广州市天河区人民法院",
            "原告广州恒信融资租赁有限公司与被告广州顺达物流有限公司签订《融资租赁合同》，被告自第七期起未支付租金。",
            ("被告广州顺达物流有限公司于本判决生效之日起十日内支付原告全部未付租金2,150,000元及逾期利息；",
             "案件受理费25,300元，由被告负担。"),
            ("审判员 陈颖",),
        ),
        platform_chosen_by="court",
    ),
)

RE, VEH, EQ, MOV, OTHER = (Lot.AssetType.REAL_ESTATE, Lot.AssetType.VEHICLE, Lot.AssetType.EQUITY,
                           Lot.AssetType.MOVABLE, Lot.AssetType.OTHER)
PO = Lot.Possession
M = Lot.ReferenceMethod
T, PAY = TaxAllocation.Tax, TaxAllocation.Payer
E = Encumbrance.Kind


def _house_taxes(deed_yuan: int, fees_yuan: int, utilities_yuan: int | None = None,
                 commercial: bool = False) -> tuple[TaxSpec, ...]:
    taxes = [
        TaxSpec(T.DEED_TAX, PAY.BUYER, deed_yuan, "契税由买受人依法缴纳，税率以办理过户时的规定为准"),
        TaxSpec(T.VAT, PAY.BY_LAW, None, "增值税及附加由纳税义务人依照税法规定承担"),
        TaxSpec(T.INCOME_TAX, PAY.BY_LAW, None, "所得税由纳税义务人依照税法规定承担"),
        TaxSpec(T.STAMP_DUTY, PAY.BY_LAW, None, "印花税由买卖双方依照税法规定各自承担"),
    ]
    if commercial:
        taxes.append(TaxSpec(T.LAND_VAT, PAY.BY_LAW, None, "土地增值税由转让方依照税法规定承担"))
    taxes.append(TaxSpec(T.PROPERTY_FEES, PAY.DEBTOR, fees_yuan, "截至查封之日欠缴的物业费由被执行人承担，从价款中扣除"))
    if utilities_yuan is not None:
        taxes.append(TaxSpec(T.UTILITIES, PAY.DEBTOR, utilities_yuan, "欠缴的水、电、燃气费由被执行人承担"))
    return tuple(taxes)


MOVABLE_TAXES = (
    TaxSpec(T.VAT, PAY.BY_LAW, None, "增值税由纳税义务人依照税法规定承担"),
)

LOTS: tuple[LotSpec, ...] = (
    LotSpec(
        "cy-flat", "cy-loan",
        fields={
            "asset_type": RE, "title": "北京市朝阳区望京街道融景家园3号楼2单元1502室住宅",
            "description": "标的物为被执行人刘志强、王丽华共有的住宅，位于北京市朝阳区望京街道融景家园3号楼2单元1502室，"
                           "规划用途为住宅，建筑面积89.56平方米，所在层15层（总层数18层），两室一厅一卫，南北通透，"
                           "钢筋混凝土结构，2008年建成。房屋已通水、电、燃气，集中供暖。小区距地铁14号线望京站约600米。",
            "province": "北京市", "city": "北京市", "district": "朝阳区", "address": "望京街道融景家园3号楼2单元1502室",
            "area_m2": Decimal("89.56"), "built_year": 2008, "possession": PO.DEBTOR,
            "occupancy": "被执行人刘志强及其家属居住使用。本院已责令其限期腾退，成交裁定送达后十五日内由本院负责清场并交付。",
            "known_defects": "卫生间顶板有轻微渗水痕迹；北侧卧室墙面局部空鼓。室内家具、家电不在拍卖范围内。除上述情况外无其他已知瑕疵。",
            "special_qualifications": "本标的物为北京市限购住房。竞买人应符合北京市住房限购政策，报名前请自行向住房和城乡建设"
                                      "主管部门查询购房资格。竞得后经审查不符合购房资格的，本院不出具拍卖成交裁定。",
            "purchase_restricted": True,
            "viewing": "本院于公告期内每周二、周四上午10:00至11:30组织看样，请提前一个工作日致电010-6587 9012（王法官助理）预约，"
                       "看样时请携带身份证件。",
        },
        reference=ReferenceSpec(6_850_000, M.ONLINE_INQUIRY, "网络询价报告三份（编号WX{year}-0415-01至03），取算术平均值",
                                "本院依法同时向名单库内全部网络询价平台发出询价，三家平台均在三日内出具报告，结果分别为"
                                "6,812,000元、6,873,000元、6,865,000元，算术平均值为6,850,000元。"),
        photos=(PhotoSpec("residential", "小区外景（南侧）"), PhotoSpec("interior", "客厅现状"),
                PhotoSpec("interior", "主卧现状", 1)),
        rounds=(RoundSpec(LIVE, 4_795_000, 20_000, 480_000, bids=16),),
        taxes=_house_taxes(205_500, 8_640, 2_310),
        encumbrances=(
            EncumbranceSpec(E.MORTGAGE, "京华银行股份有限公司北京朝阳支行",
                            "个人住房贷款抵押。抵押权随拍卖成交而消灭，抵押权人就拍卖价款优先受偿。", False, 3_500_000, 100),
            EncumbranceSpec(E.SEIZURE, "北京市海淀区人民法院", "轮候查封，成交后由本院通知解除。", False, None, 9),
        ),
    ),
    LotSpec(
        "cy-car", "cy-loan",
        fields={
            "asset_type": VEH, "title": "奔驰牌BJ7204GEL小型轿车（京N·8K2Q6）",
            "description": "北京奔驰E300L轿车，车辆识别代号LE4ZG4JB8KL123456，2019年3月初次登记，2.0T自动挡，车身黑色，"
                           "表显里程约6.8万公里，使用性质为非营运。随车钥匙一把，行驶证在案，机动车登记证书尚未扣押。",
            "province": "北京市", "city": "北京市", "district": "朝阳区", "address": "来广营乡本院指定停车场",
            "quantity": 1, "quantity_unit": "辆", "built_year": 2019, "possession": PO.NOT_APPLICABLE,
            "occupancy": "车辆已由本院扣押，停放于本院指定停车场。成交后买受人凭成交裁定自行提车并办理转移登记。",
            "known_defects": "左后车门有明显划痕，前保险杠轻微剐蹭；有未处理交通违法记录两条（罚款由被执行人承担）。"
                             "车况以现状为准，本院不保证车辆性能。",
            "special_qualifications": "本车为北京市号牌小客车。竞买人如需在北京市办理转移登记，须具备北京市小客车指标；"
                                      "不具备指标的须办理转出手续，相关费用由买受人承担。",
            "viewing": "请于工作日9:00至16:00致电010-6587 9012预约看车，仅限静态查看，不得试驾。",
        },
        reference=ReferenceSpec(216_000, M.NEGOTIATION, "当事人议价笔录（{year}年，申请执行人与被执行人一致确认）",
                                "本院组织双方当事人议价，申请执行人与被执行人在议价期限内一致确认该车辆价格为216,000元，"
                                "且不损害他人合法权益。"),
        photos=(PhotoSpec("car_side", "车辆左侧外观"), PhotoSpec("car_front", "车辆正面外观")),
        rounds=(RoundSpec(SOLD, 172_800, 2_000, 17_000, start_day=-118, bids=18, war=3),),
        taxes=(*MOVABLE_TAXES,
               TaxSpec(T.OTHER, PAY.BUYER, 500, "车辆转移登记及检测费用由买受人承担")),
    ),
    LotSpec(
        "cy-shop", "cy-build",
        fields={
            "asset_type": RE, "title": "北京市朝阳区东三环中路鼎泰大厦首层103号商业用房",
            "description": "标的物为被执行人北京鼎泰置业有限公司名下的商业用房，规划用途为商业，建筑面积156.32平方米，"
                           "层高4.5米，临街，2016年竣工，钢筋混凝土结构。现出租用于餐饮经营。",
            "province": "北京市", "city": "北京市", "district": "朝阳区", "address": "东三环中路鼎泰大厦首层103号",
            "area_m2": Decimal("156.32"), "built_year": 2016, "possession": PO.TENANT,
            "occupancy": "现由承租人北京味和餐饮管理有限公司经营餐厅。租赁成立于抵押登记之前，不因拍卖而解除，"
                         "买受人自成交裁定送达之日起承继出租人的权利义务。",
            "known_defects": "后厨排烟管道经过公共区域，改动须经物业同意；门头招牌及厨房设备为承租人所有，不在拍卖范围内。",
            "special_qualifications": "本标的物为非住宅，不受住房限购政策限制。竞买人应为具有完全民事行为能力的自然人、法人或非法人组织。",
            "viewing": "承租人正常营业，看样请于工作日提前两日预约，由本院工作人员陪同，联系电话010-6587 9012。",
        },
        reference=ReferenceSpec(12_600_000, M.APPRAISAL, "北京中评房地产土地评估有限公司评估报告（京中评〔{year}〕估字第0318号）",
                                "经当事人协商不成，本院从名单库中摇号选定评估机构。评估机构采用比较法和收益法测算，"
                                "评估基准日的市场价值为12,600,000元（含承租人租赁权对价值的影响）。"),
        photos=(PhotoSpec("shopfront", "商铺临街外观"), PhotoSpec("office_tower", "鼎泰大厦外景", 1),
                PhotoSpec("interior", "商铺内部（餐厅现状）", 2)),
        rounds=(
            RoundSpec(FAILED, 8_820_000, 50_000, 880_000),
            RoundSpec(ANNOUNCED, None, 50_000, 700_000, start_day=9),
        ),
        taxes=_house_taxes(264_600, 46_880, commercial=True),
        encumbrances=(
            EncumbranceSpec(E.MORTGAGE, "燕京商业银行股份有限公司朝阳支行",
                            "经营性贷款抵押。抵押权随拍卖成交消灭，就价款优先受偿（次于建设工程价款优先受偿权）。",
                            False, 6_000_000, 20),
            EncumbranceSpec(E.LEASE, "北京味和餐饮管理有限公司", "租赁期六年，成立于抵押登记之前，成交后继续有效。", True,
                            None, 30),
        ),
        leases=(LeaseSpec("北京味和餐饮管理有限公司", 30, 72, 28_000, Lease.RentPeriod.MONTH, 2,
                          "租金按季度预付，押金56,000元由出租人收取；买受人承继出租人的权利义务。承租人享有优先购买权。"),),
        holders=(HolderSpec("北京味和餐饮管理有限公司", PriorityHolder.Basis.TENANT, 1,
                            "北京市朝阳区东三环中路鼎泰大厦首层103号，010-6588 1203"),),
    ),
    LotSpec(
        "cy-cranes", "cy-build",
        fields={
            "asset_type": MOV, "title": "QTZ125型塔式起重机2台及SC200/200型施工升降机1台",
            "description": "标的物为被执行人北京鼎泰置业有限公司所有、存放于北京市朝阳区孙河乡鼎泰项目工地的建筑机械："
                           "QTZ125（5613）型塔式起重机2台（2017年出厂，最大起重量8吨，臂长56米）、SC200/200型施工升降机"
                           "1台（2018年出厂）。设备已停用约两年，均已拆解落地，随机资料部分缺失。",
            "province": "北京市", "city": "北京市", "district": "朝阳区", "address": "孙河乡鼎泰项目工地",
            "quantity": 3, "quantity_unit": "台", "built_year": 2017, "possession": PO.NOT_APPLICABLE,
            "occupancy": "设备存放于项目工地内，由本院委托的看管人看管。成交后由买受人自行拆运。",
            "known_defects": "设备长期露天存放，部分结构件锈蚀，电气系统未经检测；标准节数量以现场清点为准。"
                             "买受人须委托具备资质的单位拆运和检测，费用自理。",
            "special_qualifications": "竞买人应具备完全民事行为能力。设备再次安装使用前，须由买受人依法办理检测及使用登记。",
            "viewing": "每周三上午9:30在工地正门集合看样，请提前致电010-6587 9012预约。",
        },
        reference=ReferenceSpec(1_380_000, M.APPRAISAL, "北京华信资产评估有限公司评估报告（华信评报字〔{year}〕第216号）",
                                "评估机构采用成本法，按重置全价扣减实体性、功能性贬值测算，设备评估价值为1,380,000元。"),
        photos=(PhotoSpec("crane", "塔式起重机（拆解落地状态）"), PhotoSpec("crane", "塔吊标准节及起重臂", 1),
                PhotoSpec("machine", "施工升降机吊笼")),
        rounds=(
            RoundSpec(FAILED, 966_000, 10_000, 96_000),
            RoundSpec(FAILED, None, 10_000, 77_000),
            RoundSpec(BIDDING, None, 10_000, None, start_day=-20),
        ),
        taxes=(*MOVABLE_TAXES,
               TaxSpec(T.OTHER, PAY.BUYER, 60_000, "拆卸、运输及检测费用由买受人承担（估算）")),
    ),
    LotSpec(
        "cy-equity", "cy-private",
        fields={
            "asset_type": EQ, "title": "陈晓东持有的北京星辰智联科技有限公司30%股权",
            "description": "北京星辰智联科技有限公司成立于2015年，统一社会信用代码91110105MA01XCZL2K，注册资本1,000万元，"
                           "主营智能硬件研发及技术服务。被执行人陈晓东认缴出资300万元，占注册资本30%，已全部实缴。"
                           "公司其他股东为周敏（持股40%）、北京启明创业投资有限公司（持股30%）。",
            "province": "北京市", "city": "北京市", "district": "朝阳区", "address": "酒仙桥路10号星辰大厦",
            "possession": PO.NOT_APPLICABLE,
            "occupancy": "股权已在市场监督管理部门办理冻结登记。公司目前正常经营，近两年审计报告随评估报告公示。",
            "known_defects": "公司有对外担保一笔（担保金额2,000,000元）及一宗未决劳动争议。买受人受让股权后依法承继股东权利义务。",
            "special_qualifications": "竞买人应符合《中华人民共和国公司法》关于股东资格的规定。公司其他股东在同等条件下享有优先购买权，"
                                      "经合议庭确认后以优先竞买代码参与竞价。",
            "viewing": "有意竞买人可于工作日预约查阅公司章程、审计报告等资料，联系电话010-6587 9012。",
        },
        reference=ReferenceSpec(3_260_000, M.APPRAISAL, "北京正衡资产评估有限公司股东部分权益价值评估报告（正衡评报字〔{year}〕第0527号）",
                                "评估机构采用收益法和资产基础法，以收益法结果为最终结论：公司股东全部权益价值10,870,000元，"
                                "30%股权价值3,260,000元（未考虑控制权及流动性因素）。"),
        photos=(PhotoSpec("certificate", "营业执照（副本）影印件"), PhotoSpec("office_tower", "公司办公场所外景")),
        rounds=(RoundSpec(ANNOUNCED, 2_282_000, 20_000, 228_000, start_day=12),),
        taxes=(TaxSpec(T.INCOME_TAX, PAY.BY_LAW, None, "股权转让个人所得税由转让方依法承担，本院协助从价款中代扣"),
               TaxSpec(T.STAMP_DUTY, PAY.BY_LAW, None, "印花税由转让双方依照税法规定各自承担")),
        holders=(
            HolderSpec("周敏", PriorityHolder.Basis.SHAREHOLDER, 1, "北京市朝阳区酒仙桥路10号，138 0100 5566"),
            HolderSpec("北京启明创业投资有限公司", PriorityHolder.Basis.SHAREHOLDER, 1, "北京市海淀区中关村大街1号，010-6255 7788"),
        ),
    ),
    LotSpec(
        "cy-jewels", "cy-private",
        fields={
            "asset_type": MOV, "title": "翡翠手镯、钻石戒指等珠宝首饰一批（共23件）",
            "description": "本院扣押的被执行人陈晓东所有的珠宝首饰一批共23件：翡翠手镯3只、钻石戒指6枚（主石0.5至1.2克拉）、"
                           "南洋珍珠项链2条、黄金首饰12件（总重约186克）。每件均附珠宝玉石鉴定证书，清单见评估报告附表。整批拍卖，不拆分。",
            "province": "北京市", "city": "北京市", "district": "朝阳区",
            "quantity": 23, "quantity_unit": "件", "possession": PO.NOT_APPLICABLE,
            "occupancy": "标的物保管于本院涉案财物保管室，成交后买受人凭成交裁定到本院领取。",
            "known_defects": "部分黄金首饰有使用痕迹及轻微变形；翡翠手镯之一有天然纹裂（鉴定证书已注明）。",
            "special_qualifications": "竞买人应具备完全民事行为能力。",
            "viewing": "公告期内每周五14:30在本院集中看样，每次限10人，请提前致电010-6587 9012预约。",
        },
        reference=ReferenceSpec(486_000, M.APPRAISAL, "北京中宝珠宝首饰评估中心评估报告（中宝评字〔{year}〕第112号）",
                                "评估机构逐件鉴定并采用市场法评估，23件首饰评估价值合计486,000元。"),
        photos=(PhotoSpec("jewellery", "翡翠手镯（3只）"), PhotoSpec("jewellery", "钻石戒指", 1),
                PhotoSpec("jewellery", "珍珠项链及黄金首饰", 2)),
        rounds=(RoundSpec(BIDDING, 340_200, 3_000, 34_000, start_day=-1, hours=72, bids=5),),
        taxes=MOVABLE_TAXES,
    ),
    LotSpec(
        "pd-office", "pd-loan",
        fields={
            "asset_type": RE, "title": "上海市浦东新区张杨路1688号浦远大厦18层1805室办公用房",
            "description": "标的物为被执行人上海浦远贸易有限公司名下的办公用房，建筑面积218.64平方米，所在层18层"
                           "（总层数26层），2012年竣工，精装修，南向，配中央空调。",
            "province": "上海市", "city": "上海市", "district": "浦东新区", "address": "张杨路1688号浦远大厦18层1805室",
            "area_m2": Decimal("218.64"), "built_year": 2012, "possession": PO.VACANT,
            "occupancy": "房屋现空置，钥匙由本院保管，成交后由本院交付。",
            "known_defects": "欠缴物业管理费及能耗费约52,600元（由被执行人承担，从价款中扣除）；室内部分隔墙为原使用人搭建。",
            "special_qualifications": "本标的物为非住宅，不受住房限购政策限制。",
            "viewing": "请于工作日9:00至11:00、14:00至16:00致电021-5012 3456（陈法官助理）预约看样。",
        },
        reference=ReferenceSpec(9_180_000, M.DIRECTED_INQUIRY, "定向询价：国家税务总局上海市浦东新区税务局计税价格回复（浦税询〔{year}〕第1029号）",
                                "当事人议价不成，该房屋有计税基准价，本院向税务机关定向询价，税务机关回复计税价格为9,180,000元。"),
        photos=(PhotoSpec("office_tower", "浦远大厦外景"), PhotoSpec("interior", "1805室内部现状", 3)),
        rounds=(RoundSpec(TAKEN_IN_LIEU, 7_344_000, 50_000, 730_000, start_day=-45, stop_day=-30,
                          reason="第一次拍卖流拍后，申请执行人沪东商业银行股份有限公司浦东分行申请以该次拍卖保留价接受以物抵债，"
                                 "本院依法裁定准许。",
                          in_lieu_creditor="hudong"),),
        taxes=_house_taxes(275_400, 52_600, commercial=True),
        encumbrances=(EncumbranceSpec(E.MORTGAGE, "沪东商业银行股份有限公司浦东分行",
                                      "流动资金贷款抵押，抵押权随处置而消灭。", False, 8_600_000, 58),),
    ),
    LotSpec(
        "pd-flat", "pd-loan",
        fields={
            "asset_type": RE, "title": "上海市浦东新区锦绣路2580弄12号602室住宅",
            "description": "被执行人孙海涛名下住宅，建筑面积96.38平方米，所在层6层（总层数6层），2003年建成，两室两厅一卫，朝南，无电梯。",
            "province": "上海市", "city": "上海市", "district": "浦东新区", "address": "锦绣路2580弄12号602室",
            "area_m2": Decimal("96.38"), "built_year": 2003, "possession": PO.DEBTOR,
            "occupancy": "被执行人孙海涛及其家属居住，成交后由本院负责腾退交付。",
            "known_defects": "顶层，屋面防水曾有维修记录；厨房燃气管道为原始管道。",
            "special_qualifications": "本标的物为上海市限购住房。竞买人须符合上海市住房限购政策，报名前请自行向房屋管理部门查询购房资格。",
            "purchase_restricted": True,
            "viewing": "每周三14:00至16:00集中看样，请提前致电021-5012 3456预约。",
        },
        reference=ReferenceSpec(5_320_000, M.ONLINE_INQUIRY, "网络询价报告三份（编号SH{year}-0922-01至03），取算术平均值",
                                "三家网络询价平台按期出具报告，结果分别为5,288,000元、5,336,000元、5,336,000元，算术平均值5,320,000元。"),
        photos=(PhotoSpec("residential", "小区外景", 1), PhotoSpec("interior", "客厅现状", 4)),
        rounds=(RoundSpec(STAYED, 3_724_000, 20_000, 370_000, start_day=6, stop_day=-4,
                          reason="被执行人孙海涛与申请执行人正在协商执行和解，申请执行人书面申请暂缓拍卖，本院决定暂缓拍卖。"),),
        taxes=_house_taxes(53_200, 3_200, 860),
        encumbrances=(EncumbranceSpec(E.MORTGAGE, "沪东商业银行股份有限公司浦东分行",
                                      "最高额抵押（担保最高债权额2,000,000元），抵押权随拍卖成交消灭。", False, 2_000_000, 40),),
    ),
    LotSpec(
        "pd-wine", "pd-trade",
        fields={
            "asset_type": MOV, "title": "法国波尔多AOC红葡萄酒1,200瓶（100箱）",
            "description": "被执行人库存的进口红葡萄酒，法国波尔多产区AOC级，年份2018至2020年，750毫升/瓶，每箱12瓶，共100箱。"
                           "附进口货物报关单及入境货物检验检疫证明。",
            "province": "上海市", "city": "上海市", "district": "浦东新区", "address": "外高桥保税区富特北路211号恒温仓库",
            "quantity": 1200, "quantity_unit": "瓶", "possession": PO.NOT_APPLICABLE,
            "occupancy": "货物存放于恒温仓库，成交后买受人自行提货，自成交之日起的仓储费由买受人承担。",
            "known_defects": "部分外箱受潮破损；酒品品质以现状为准，竞买人可于看样时抽检。",
            "special_qualifications": "竞买人应具备完全民事行为能力；买受人用于销售的，须自行取得食品经营许可。",
            "viewing": "每周二上午10:00在仓库现场看样，联系电话021-5012 3456。",
        },
        reference=ReferenceSpec(268_000, M.APPRAISAL, "上海信达资产评估有限公司评估报告（信达评报字〔{year}〕第0731号）",
                                "评估机构采用市场法，参考同类进口酒批发价格并考虑保存状况，评估价值268,000元。"),
        photos=(PhotoSpec("wine", "仓库内红酒货架"), PhotoSpec("wine", "整箱包装现状", 1)),
        rounds=(RoundSpec(FAILED, 187_600, 2_000, 18_000, start_day=-4),),
        taxes=(*MOVABLE_TAXES, TaxSpec(T.OTHER, PAY.BUYER, None, "提货、运输费用由买受人承担")),
    ),
    LotSpec(
        "pd-car", "pd-trade",
        fields={
            "asset_type": VEH, "title": "大众牌SVW7207PSD小型轿车（沪A·5R7P3）",
            "description": "上汽大众帕萨特330TSI，2020年6月初次登记，车身白色，表显里程约9.2万公里，使用性质为非营运。",
            "province": "上海市", "city": "上海市", "district": "浦东新区", "address": "金桥路本院指定停车场",
            "quantity": 1, "quantity_unit": "辆", "built_year": 2020, "possession": PO.NOT_APPLICABLE,
            "occupancy": "车辆停放于本院指定停车场，钥匙一把。",
            "known_defects": "右前翼子板有钣金修复痕迹；轮胎磨损较重。",
            "special_qualifications": "竞买人须符合上海市非营业性客车额度的相关规定；不符合的，须办理转籍手续。",
            "viewing": "工作日预约看车，联系电话021-5012 3456。",
        },
        reference=ReferenceSpec(98_000, M.ONLINE_INQUIRY, "网络询价报告三份（编号SH{year}-1103-01至03）",
                                "三家网络询价平台结果分别为96,500元、98,800元、98,700元，算术平均值98,000元。"),
        photos=(PhotoSpec("car_side", "车辆右侧外观", 1), PhotoSpec("car_front", "车辆正面外观", 1)),
        rounds=(RoundSpec(WITHDRAWN, 78_400, 1_000, 7_800, start_day=5, stop_day=-2,
                          reason="案外人上海捷程汽车租赁有限公司对该车辆提出执行异议，经本院审查异议成立，依法撤回拍卖。"),),
        taxes=(*MOVABLE_TAXES, TaxSpec(T.OTHER, PAY.BUYER, 500, "车辆转移登记费用由买受人承担")),
    ),
    LotSpec(
        "pd-parking", "pd-trade",
        fields={
            "asset_type": OTHER, "nature": Lot.Nature.RIGHT, "title": "上海市浦东新区锦绣苑地下车库B1-086号车位使用权",
            "description": "被执行人享有的地下车位使用权，车位编号B1-086，面积约13.5平方米，使用期限至2058年。"
                           "该车位未办理独立产权登记，拍卖标的为车位使用权，不含产权。",
            "province": "上海市", "city": "上海市", "district": "浦东新区", "address": "锦绣苑地下车库B1-086",
            "area_m2": Decimal("13.50"), "possession": PO.VACANT,
            "occupancy": "车位现空置。",
            "known_defects": "车位靠近通风井，净高约2.2米。",
            "special_qualifications": "买受人须遵守小区车位管理规约，转让后须至物业服务企业办理备案。",
            "viewing": "可随时至现场查看；如需陪同，请致电021-5012 3456。",
        },
        reference=ReferenceSpec(260_000, M.NEGOTIATION, "当事人议价笔录（{year}年）",
                                "申请执行人与被执行人在议价期限内一致确认车位使用权价格为260,000元。"),
        photos=(PhotoSpec("parking", "车位现状"), PhotoSpec("parking", "车库通道", 1)),
        rounds=(RoundSpec(DRAFT, 208_000, 2_000, 20_000, start_day=45, created_days_ago=1),),
        taxes=(TaxSpec(T.STAMP_DUTY, PAY.BY_LAW, None, "印花税依照税法规定承担"),
               TaxSpec(T.OTHER, PAY.BUYER, 300, "物业备案手续费由买受人承担")),
    ),
    LotSpec(
        "th-flat", "th-private",
        fields={
            "asset_type": RE, "title": "广州市天河区华景路恒景花园8栋1203房",
            "description": "被执行人林晓峰名下住宅，建筑面积112.45平方米，所在层12层（总层数28层），2010年建成，三房两厅两卫。",
            "province": "广东省", "city": "广州市", "district": "天河区", "address": "华景路恒景花园8栋1203房",
            "area_m2": Decimal("112.45"), "built_year": 2010, "possession": PO.OTHER,
            "occupancy": "房屋现由案外人居住，其自称承租人但未能提供有效租赁合同，本院正在审查。",
            "known_defects": "欠缴物业费约11,200元；阳台已封闭，封闭部分未经规划审批。",
            "special_qualifications": "竞买人须符合广州市住房限购政策（以成交时有效的规定为准），请自行确认购房资格。",
            "purchase_restricted": True,
            "viewing": "每周四上午预约看样，联系电话020-3862 1000（黄法官助理）。",
        },
        reference=ReferenceSpec(4_460_000, M.ONLINE_INQUIRY, "网络询价报告三份（编号GZ{year}-0708-01至03）",
                                "三家网络询价平台结果分别为4,430,000元、4,475,000元、4,475,000元，算术平均值4,460,000元。"),
        photos=(PhotoSpec("residential", "恒景花园外景", 2), PhotoSpec("interior", "客厅现状", 5),
                PhotoSpec("interior", "卧室现状", 6)),
        rounds=(RoundSpec(SUSPENDED, 3_122_000, 20_000, 310_000, start_day=4, stop_day=-6,
                          reason="案外人王某以其系该房屋实际买受人为由提出执行异议，本院依法裁定中止拍卖。"),),
        taxes=_house_taxes(133_800, 11_200),
        encumbrances=(EncumbranceSpec(E.MORTGAGE, "南粤商业银行股份有限公司天河支行",
                                      "个人住房贷款抵押，抵押权随拍卖成交消灭。", False, 1_800_000, 90),),
        unreachable=("lin",),
    ),
    LotSpec(
        "th-office", "th-private",
        fields={
            "asset_type": RE, "title": "广州市天河区天河路385号汇金中心2306房办公用房",
            "description": "被执行人林晓峰名下办公用房，建筑面积168.90平方米，所在层23层，2014年竣工，甲级写字楼，精装修。",
            "province": "广东省", "city": "广州市", "district": "天河区", "address": "天河路385号汇金中心2306房",
            "area_m2": Decimal("168.90"), "built_year": 2014, "possession": PO.VACANT,
            "occupancy": "房屋空置，钥匙由本院保管。",
            "known_defects": "欠缴物业管理费约23,500元（由被执行人承担）。无其他已知瑕疵。",
            "special_qualifications": "本标的物为非住宅，不受住房限购政策限制。",
            "viewing": "工作日预约看样，联系电话020-3862 1000。",
        },
        reference=ReferenceSpec(8_960_000, M.APPRAISAL, "广东粤信房地产土地资产评估有限公司评估报告（粤信估字〔{year}〕第1208号）",
                                "评估机构采用比较法和收益法，评估价值8,960,000元。"),
        photos=(PhotoSpec("office_tower", "汇金中心外景", 2), PhotoSpec("interior", "2306房内部现状", 7)),
        rounds=(RoundSpec(SOLD, 6_272_000, 50_000, 620_000, start_day=-75, bids=22, war=8),),
        taxes=_house_taxes(268_800, 23_500, commercial=True),
        unreachable=("lin",),
    ),
    LotSpec(
        "th-forklifts", "th-lease",
        fields={
            "asset_type": MOV, "title": "合力牌3吨内燃叉车6台及重型仓储货架一批",
            "description": "被执行人广州顺达物流有限公司所有的合力牌CPCD30型内燃叉车6台（2019年购置）及横梁式重型仓储货架约420组。",
            "province": "广东省", "city": "广州市", "district": "白云区", "address": "太和镇大源北路88号仓库",
            "quantity": 1, "quantity_unit": "批", "built_year": 2019, "possession": PO.NOT_APPLICABLE,
            "occupancy": "存放于被执行人租用的仓库内，由本院委托看管。",
            "known_defects": "叉车两台无法启动；货架部分立柱变形。",
            "special_qualifications": "竞买人应具备完全民事行为能力。",
            "viewing": "工作日预约看样，联系电话020-3862 1000。",
        },
        reference=ReferenceSpec(356_000, M.APPRAISAL, "广州华粤资产评估有限公司评估报告（华粤评报字〔{year}〕第0415号）",
                                "评估机构采用市场法与成本法，评估价值356,000元。"),
        photos=(PhotoSpec("warehouse", "仓储货架现状"), PhotoSpec("warehouse", "内燃叉车", 1)),
        rounds=(RoundSpec(TERMINATED, 249_200, 2_000, 24_000, start_day=-10, stop_day=-16,
                          reason="标的物存放仓库于公告期间发生火灾，部分叉车及货架毁损灭失，拍卖标的已不复存在，本院决定终止拍卖。"),),
        taxes=(*MOVABLE_TAXES, TaxSpec(T.OTHER, PAY.BUYER, None, "拆卸、运输费用由买受人承担")),
    ),
    LotSpec(
        "th-trademark", "th-lease",
        fields={
            "asset_type": OTHER, "nature": Lot.Nature.RIGHT, "title": "第39类“顺达速运”注册商标专用权（第18765432号）",
            "description": "被执行人广州顺达物流有限公司注册的“顺达速运”文字及图形商标，核定使用服务为第39类运输、货物递送、"
                           "仓储等，注册有效期至2032年。",
            "province": "广东省", "city": "广州市", "district": "天河区", "possession": PO.NOT_APPLICABLE,
            "occupancy": "商标现未许可他人使用。",
            "known_defects": "该商标有一件他人提出的连续三年不使用撤销申请，正在审查中。",
            "special_qualifications": "商标转让须经国家知识产权局核准，买受人应配合办理转让申请。",
            "viewing": "可于工作日预约查阅商标注册证及使用证据，联系电话020-3862 1000。",
        },
        reference=ReferenceSpec(520_000, M.APPRAISAL, "广州华粤资产评估有限公司评估报告（华粤评报字〔{year}〕第0416号）",
                                "评估机构采用收益法（许可费节省法），评估价值520,000元。"),
        photos=(PhotoSpec("certificate", "商标注册证影印件", 1), PhotoSpec("certificate", "核准续展注册证明", 2)),
        rounds=(RoundSpec(PANEL_APPROVED, 364_000, 5_000, 36_000, start_day=40, created_days_ago=6),),
        taxes=(TaxSpec(T.STAMP_DUTY, PAY.BY_LAW, None, "印花税依照税法规定承担"),
               TaxSpec(T.OTHER, PAY.BUYER, 1_500, "商标转让规费由买受人承担")),
    ),
)
