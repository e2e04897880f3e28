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

CHANNELS: dict[str, str] = {
    "chat": "旺旺",
    "phone": "电话",
    "message": "站内信",
}

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
}


def label(table: dict[str, str], key: str | None) -> str:
    """The label for `key`, or the key itself when a newer database holds a value we lack."""
    if key is None:
        return ""
    return table.get(key, key)
