"""Child process: import 100,000 generated refund rows into a COPY of the million-case
database (the shared one is never written), then import the same file again.

Run by benchmarks.run as `python -m benchmarks.imports`; prints one JSON object: preview and
commit seconds, the re-import's seconds and changes, and the peak resident memory.
The rows are invented (no real buyer data): open refunds in every platform state, a fifth
with a return parcel, a twentieth with 小二介入 and a proof deadline; written in GBK with
the export's quirks (="…" numbers, 元 amounts, both date formats, a summary row).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from datetime import timedelta

from benchmarks.dataset import DATA_DIR, DB_PATH, build_now, load_marker
from benchmarks.memory import peak_memory_mb

ROWS = 100_000
COPY = DATA_DIR / "import-copy.db"
FILE = DATA_DIR / "import-refunds.csv"
AGENT = "小王"

HEADER = ["订单编号", "退款编号", "支付宝交易号", "订单付款时间", "商品编码", "退款完结时间", "买家会员名称",
          "买家实际支付金额", "宝贝标题", "买家退款金额", "手工退款/系统退款", "是否需要退货", "退款申请时间",
          "超时时间", "退款状态", "货物状态", "退货物流信息", "发货物流信息", "客服介入状态", "退货物流单号",
          "退货物流公司", "买家退款原因", "买家退款说明", "买家退货时间", "责任方", "售中或售后", "商家备注",
          "完结时间", "部分退款/全部退款", "举证超时", "退款原因标签", "业务类型", "退款总额", "售后类型", "商品id"]
STATES = ["买家已经申请退款，等待卖家同意", "卖家已经同意退款，等待买家退货", "买家已经退货，等待卖家确认收货",
          "卖家拒绝退款"]


def write_file(now) -> None:
    """The export, generated: 100,000 rows, GBK."""
    local = now + timedelta(hours=8)  # shop time (Asia/Shanghai has no DST)
    lines = [",".join(HEADER)]
    for i in range(ROWS):
        applied = local - timedelta(minutes=7 * (i % 2000) + 60)
        due = applied + timedelta(days=7)
        fmt = "%Y-%m-%d %H:%M:%S" if i % 2 else "%Y/%m/%d %H:%M"
        state = STATES[i % len(STATES)]
        tracking = f"SF{i:010d}" if i % 5 == 0 else ""
        carrier = "顺丰速运" if tracking else ""
        intervened = "客服介入中" if i % 20 == 0 else "客服未介入"
        proof = (due - timedelta(days=2)).strftime(fmt) if i % 20 == 0 else ""
        row = [f'="39{i:016d}"', f'="88{i:016d}"', "'20261122" + f"{i:012d}", applied.strftime(fmt), "", "",
               f"测试买家{i % 50000:05d}", f"{59 + i % 40}.00元", f"测试宝贝{i % 300}号 蓝色 M", f"{59 + i % 40}.00元",
               "系统退款", "是" if i % 3 else "否", applied.strftime(fmt), due.strftime(fmt), state, "买家已收到货",
               "", "", intervened, tracking, carrier, "尺码不合适", "测试说明", "", "", "售后", "", "", "全部退款",
               proof, "", "", f"{59 + i % 40}.00元", "退货退款", f"{600000 + i % 300}"]
        lines.append(",".join(row))
    lines.append(",".join(["汇总值"] + [""] * (len(HEADER) - 1)))
    FILE.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))


def main() -> None:
    from console import imports
    from console.cases import Cases
    from console.clock import FrozenClock
    from console.db import open_database, resolve_url
    from console.sla import load_policy

    marker = load_marker()
    if marker is None:
        raise SystemExit("the bench database is not built: python -m benchmarks.dataset")
    now = build_now(marker)
    for path in (COPY, COPY.with_name(COPY.name + "-wal"), COPY.with_name(COPY.name + "-shm")):
        path.unlink(missing_ok=True)
    shutil.copyfile(DB_PATH, COPY)  # never the shared database itself
    write_file(now)
    db = open_database(resolve_url(str(COPY)))
    cases = Cases(db, load_policy(), FrozenClock(now))
    cases.ensure_agent(AGENT)
    try:
        started = time.perf_counter()
        plan = imports.preview([FILE], cases)
        preview_s = time.perf_counter() - started
        started = time.perf_counter()
        result = imports.commit(plan, cases, AGENT)
        commit_s = time.perf_counter() - started
        del plan
        started = time.perf_counter()
        again = imports.preview([FILE], cases)
        redo = imports.commit(again, cases, AGENT)
        reimport_s = time.perf_counter() - started
        out = {
            "rows": ROWS, "preview_s": preview_s, "commit_s": commit_s, "created": result.created,
            "rejected": result.rejected, "batches": result.batches_done, "reimport_s": reimport_s,
            "reimport_changes": len(again.new) + len(again.changed) + redo.created + redo.changed,
            **peak_memory_mb(),
        }
    finally:
        db.dispose()
        for path in (COPY, COPY.with_name(COPY.name + "-wal"), COPY.with_name(COPY.name + "-shm"), FILE):
            path.unlink(missing_ok=True)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
