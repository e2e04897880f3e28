"""Where the figures screen writes its export and how it says a failure: the view as .xlsx and
.csv through the report's writers (console/metrics/export.py), named for its range, agent and
kind. No Textual here; the screen calls `write_view` from a worker thread."""

from __future__ import annotations

import errno
import re
from datetime import datetime
from pathlib import Path

from console.metrics import FigureResult, Scope
from console.metrics.export import build_views, write_csv, write_xlsx
from console.vocab import KINDS


def export_base(folder: Path, scope: Scope, at: datetime) -> Path:
    """`folder`/主管数据-<start>-<end>-<who>[-<kind>]-<time> (the suffixes are added on writing)."""
    who = _file_word(scope.agent) if scope.agent else "全团队"
    kind = f"-{KINDS.get(scope.kind, scope.kind)}" if scope.kind else ""
    return folder / f"主管数据-{scope.start:%Y%m%d}-{scope.end:%Y%m%d}-{who}{kind}-{at:%Y%m%d-%H%M%S}"


def write_view(results: list[FigureResult], base: Path) -> tuple[Path, Path]:
    """The results as the report's views, written as `base`.xlsx and `base`.csv (the folder made
    if needed). OSError when a file cannot be written: `why_not_written` says why."""
    base.parent.mkdir(parents=True, exist_ok=True)
    views = build_views(results)
    xlsx = write_xlsx(views, base.with_name(base.name + ".xlsx"))
    csv = write_csv(views, base.with_name(base.name + ".csv"))
    return xlsx, csv


def why_not_written(exc: OSError) -> str:
    """Why a file could not be written, in the agent's words."""
    return {
        errno.EACCES: "没有写入权限", errno.EPERM: "没有写入权限", errno.EROFS: "这个位置是只读的",
        errno.ENOSPC: "磁盘已满", errno.EEXIST: "那里已有一个同名文件,不是文件夹",
        errno.ENOTDIR: "路径里有一段是文件,不是文件夹", errno.ENOENT: "文件夹不存在",
    }.get(exc.errno or 0, exc.strerror or str(exc))


def _file_word(text: str) -> str:
    """An agent's name as part of a file name: letters, digits and Chinese kept, the rest `_`."""
    return re.sub(r"[^\w\u4e00-\u9fff]", "_", text)[:32] or "客服"
