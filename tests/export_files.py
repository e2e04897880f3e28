"""Qianniu-like export files for the import tests, generated (no real buyer data: invented
names, numbers and goods), with the quirks real exports have."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

# The older refund export (41 columns) and the newer one (54, with 退款总额, 售后类型, 商品id,
# renamed columns and a repeated header name).
OLD_REFUND = [
    "订单编号", "退款编号", "支付宝交易号", "订单付款时间", "商家编码", "退款完结时间", "买家会员名称",
    "买家实际支付金额", "宝贝标题", "买家退款金额", "手工退款/系统退款", "是否需要退货", "退款的申请时间",
    "超时时间", "退款状态", "货物状态", "退货物流信息", "发货物流信息", "客服介入状态", "退货物流单号",
    "退货物流公司", "买家退款原因", "买家退款说明", "买家退货时间", "责任方", "售中或售后", "商家备注",
    "完结时间", "部分退款/全部退款", "举证超时", "退款原因标签", "业务类型",
    "卖家退货地址", "卖家真实姓名", "退款阶段", "退款类型", "是否拦截", "拦截状态", "物流公司", "物流单号", "备注标签",
]
NEW_REFUND = [
    "订单编号", "退款编号", "支付宝交易号", "订单付款时间", "商品编码", "退款完结时间", "买家会员名称",
    "买家实际支付金额", "宝贝标题", "买家退款金额", "手工退款/系统退款", "是否需要退货", "退款申请时间",
    "超时时间", "退款状态", "货物状态", "退货物流信息", "发货物流信息", "客服介入状态", "退货物流单号",
    "退货物流公司", "买家退款原因", "买家退款说明", "买家退货时间", "责任方", "售中或售后", "商家备注",
    "完结时间", "部分退款/全部退款", "举证超时", "退款原因标签", "业务类型", "退款总额", "售后类型", "商品id",
    "卖家退货地址", "卖家真实姓名", "退款阶段", "退款类型", "是否拦截", "拦截状态", "物流公司", "物流单号",
    "备注标签", "退款状态", "支付方式", "店铺名称", "商品数量", "SKU", "退款方式", "是否极速退款", "退货方式",
    "预计到账时间", "退款渠道",
]
ORDER = ["订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "总金额", "买家实际支付金额",
         "订单状态", "收货人姓名", "收货地址", "宝贝标题", "联系电话", "联系手机", "订单创建时间", "订单付款时间",
         "宝贝总数量", "店铺名称", "确认收货时间", "订单关闭原因"]
ITEM = ["订单编号", "标题", "价格", "购买数量", "外部系统编号", "商品属性", "套餐信息", "备注", "订单状态", "商家编码"]

STATUS_TEXT = {
    "waiting_seller_agree": "买家已经申请退款，等待卖家同意",
    "waiting_buyer_return": "卖家已经同意退款，等待买家退货",
    "waiting_seller_confirm": "买家已经退货，等待卖家确认收货",
    "success": "退款成功",
    "closed": "退款关闭",
    "seller_refused": "卖家拒绝退款",
}


@dataclass
class Refund:
    refund_no: str
    order_no: str
    buyer: str = "测试买家甲"
    status: str = "waiting_seller_agree"  # a STATUS_TEXT key, or a literal text
    title: str = "测试连衣裙 蓝色 M"
    paid: str = "59.00元"
    amount: str = "59.00元"
    need_return: str = "是"
    applied: str = "2026-11-22 09:30:00"
    timeout: str = "2026-11-29 09:30:00"
    intervention: str = "客服未介入"
    tracking: str = ""
    carrier: str = ""
    reason: str = "尺码不合适"
    explain: str = "穿着太大了"
    proof: str = ""
    goods: str = "买家已收到货"
    extra: dict[str, str] = field(default_factory=dict)

    def changed(self, **kw) -> Refund:
        return replace(self, **kw)


def refund_cells(r: Refund, header: list[str]) -> list[str]:
    values = {
        "订单编号": f'="{r.order_no}"', "退款编号": f'="{r.refund_no}"', "买家会员名称": r.buyer,
        "买家实际支付金额": r.paid, "宝贝标题": r.title, "买家退款金额": r.amount, "是否需要退货": r.need_return,
        "退款的申请时间": r.applied, "退款申请时间": r.applied, "超时时间": r.timeout,
        "退款状态": STATUS_TEXT.get(r.status, r.status), "货物状态": r.goods, "客服介入状态": r.intervention,
        "退货物流单号": r.tracking, "退货物流公司": r.carrier, "买家退款原因": r.reason, "买家退款说明": r.explain,
        "举证超时": r.proof, "支付宝交易号": "'2026112200000001", "售中或售后": "售后", "退款总额": r.amount,
        **r.extra,
    }
    out, seen = [], set()
    for h in header:
        # A repeated header: the second column of that name holds something else.
        out.append(values.get(h, "") if h not in seen else "重复列")
        seen.add(h)
    return out


def csv_text(header: list[str], rows: list[list[str]], summary: bool = True) -> str:
    def cell(v: str) -> str:
        if any(c in v for c in ',"\n') and not v.startswith('="'):
            return '"' + v.replace('"', '""') + '"'
        return v

    lines = [",".join(cell(h) for h in header)]
    for row in rows:
        lines.append(",".join(cell(v) for v in row))
        lines.append("")  # an empty line between rows, as some exports have
    if summary:
        lines.append(",".join(["汇总值"] + [""] * (len(header) - 1)))
    return "\r\n".join(lines) + "\r\n"


def write(path: Path, text: str, encoding: str = "gbk") -> Path:
    data = text.encode("utf-8-sig") if encoding == "utf-8-sig" else text.encode(encoding)
    path.write_bytes(data)
    return path


def refund_file(path: Path, refunds: list[Refund], layout: str = "old", encoding: str = "gbk") -> Path:
    header = OLD_REFUND if layout == "old" else NEW_REFUND
    return write(path, csv_text(header, [refund_cells(r, header) for r in refunds]), encoding)


def order_file(path: Path, orders: list[dict[str, str]], encoding: str = "gbk") -> Path:
    rows = [[o.get(h, "") for h in ORDER] for o in orders]
    return write(path, csv_text(ORDER, rows), encoding)


def item_file(path: Path, items: list[dict[str, str]], encoding: str = "gbk") -> Path:
    rows = [[i.get(h, "") for h in ITEM] for i in items]
    return write(path, csv_text(ITEM, rows, summary=False), encoding)


def refunds(n: int, start: int = 0) -> list[Refund]:
    """n refunds of invented buyers, several on the same order (two items of one order)."""
    out = []
    for i in range(start, start + n):
        out.append(Refund(refund_no=f"2026112200{i:06d}", order_no=f"30123456789{i // 2:07d}",
                          buyer=f"测试买家{i:03d}", title=f"测试宝贝{i % 7}号"))
    return out
