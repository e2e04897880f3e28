"""The words of the work: case kinds, statuses, channels, with the labels agents read."""

from __future__ import annotations

KINDS: dict[str, str] = {
    "logistics": "物流查询",
    "return": "退货",
    "exchange": "换货",
    "refund": "退款",
    "payment": "催款",
    "followup": "回访",
    "complaint": "投诉纠纷",
    "other": "其他",
}

STATUSES: dict[str, str] = {
    "new": "新建",
    "in_progress": "处理中",
    "waiting_buyer": "等买家",
    "waiting_warehouse": "等仓库",
    "waiting_courier": "等快递",
    "resolved": "已解决",
    "closed": "已关闭",
}

CLOSED_STATUSES = frozenset({"resolved", "closed"})

# The platform's refund states (千牛退款状态), in the order a refund moves through them.
REFUND_STATUSES: dict[str, str] = {
    "waiting_seller_agree": "等待卖家同意",
    "waiting_buyer_return": "等待买家退货",
    "waiting_seller_confirm": "等待卖家确认收货",
    "success": "退款成功",
    "seller_refused": "卖家拒绝退款",
    "closed": "退款关闭",
}

SATISFACTION: dict[str, str] = {"satisfied": "满意", "neutral": "一般", "unsatisfied": "不满意"}

# What a wizard outcome gave the buyer, for the work mix (console/wizard.outcome_kind).
OUTCOME_KINDS: dict[str, str] = {
    "refund": "仅退款", "return": "退货退款", "exchange": "换货", "reship": "重发",
    "price_difference": "退差价", "compensation": "补偿", "other": "其他",
}

# Who a case is escalated to [000 复杂场景升级机制]: the one list, read by the case store and
# the SOP checker alike (an SOP outcome naming anyone else is refused when the tree loads).
ESCALATIONS: dict[str, str] = {
    "senior": "资深客服",  # an upset buyer
    "supervisor": "主管",
    "risk_legal": "风控/法务",  # legal compliance, large compensation
    "special_team": "专项小组",  # a new kind of fraud, a technical puzzle
}

COMPLAINT_STATUSES: dict[str, str] = {
    "registered": "已登记",
    "investigating": "调查中",
    "solution_proposed": "已提方案",
    "buyer_confirmed": "买家确认",
    "appealed": "买家申诉",
    "carried_out": "已执行",
    "closed": "已结案",
}

CHANNELS: dict[str, str] = {
    "chat": "旺旺",
    "phone": "电话",
    "message": "站内信",
}

# Channels no agent picks: a case made from the platform's refund export (console/imports).
IMPORTED_CHANNELS: dict[str, str] = {"platform": "千牛导入"}
CHANNEL_LABELS: dict[str, str] = CHANNELS | IMPORTED_CHANNELS

ACTIONS: dict[str, str] = {
    "created": "创建工单",
    "first_reply": "已首次回复",
    "status": "状态",
    "urgent": "加急",
    "assigned": "分配",
    "note": "笔记",
    "clock_started": "开始计时",
    "clock_met": "计时完成",
    "clock_paused": "计时暂停",
    "clock_resumed": "计时恢复",
    "clock_cancelled": "计时取消",
    "reopened": "重新打开",
    "refund_status": "退款状态",
    "intervened": "小二介入",
    "sop_applied": "按SOP处理",
    "task_added": "待办",
    "task_done": "完成待办",
    "task_undone": "取消完成",
    "register": "登记",
    "escalated": "升级",
    "satisfaction": "满意度",
    "complaint": "投诉进度",
    "note_edited": "修改笔记",
    "handover": "交接",
    "kind": "类型",
    "reply_copied": "复制话术",
    "task_dropped": "取消待办",
    "kept": "保留未完成事项",
    "money": "金额",
    "import": "导入",
    "outcome": "处理结果",
    "forbidden_overridden": "仍用禁用语",
}


def label(table: dict[str, str], key: str | None) -> str:
    """The label for `key`, or the key itself when a newer database holds a value we lack."""
    if key is None:
        return ""
    return table.get(key, key)


def yes_no(flag: bool) -> str:
    return "是" if flag else "否"
