"""The report: the figures laid out as views (汇总, 每日, 排名, a breakdown per figure, 公式),
written as .xlsx (one sheet per view), CSV (UTF-8 with BOM, the views one after another) or
text for the terminal (columns aligned by display width, Chinese counting two cells).

Every text cell that may come from a person (agent names, reasons, reply ids) goes through
`textsafe.inert_cell` in files, so a name like "=HYPERLINK(…)" stays text in Excel.
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from console.metrics.calc import format_value
from console.metrics.model import FigureResult, Scope
from console.textsafe import inert, inert_cell
from console.vocab import KINDS


@dataclass
class View:
    title: str  # the sheet's name (≤ 31 characters, no []:*?/\)
    head: tuple[str, ...]
    rows: list[tuple[object, ...]]  # numbers stay numbers (a share is 0..1, shown as %)
    notes: list[str] = field(default_factory=list)  # lines above the table: the scope, formulas
    # How numbers read: a column naming each row's unit (the values after it have that unit),
    # or a unit per column. "%" values are shares 0..1, "s" seconds.
    unit_col: int | None = None
    units: dict[int, str] = field(default_factory=dict)

    def unit(self, row: tuple[object, ...], col: int) -> str:
        if self.unit_col is not None and col > self.unit_col:
            return str(row[self.unit_col])
        return self.units.get(col, "")


def scope_words(scope: Scope) -> str:
    who = scope.agent or "全团队"
    kind = f",类型: {KINDS.get(scope.kind, scope.kind)}" if scope.kind else ""
    return f"{scope.start.isoformat()} 至 {scope.end.isoformat()} (店铺时间),{who}{kind}"


def build_views(team: list[FigureResult], per_agent: dict[str, list[FigureResult]] | None = None) -> list[View]:
    """The report's views from the team's results and, for `--by agent`, each agent's."""
    scope = team[0].scope
    per_agent = per_agent or {}
    agents = list(per_agent)
    intro = [f"范围: {scope_words(scope)}"]

    head = ("数据", "项目", "单位", "全团队", *agents)
    rows: list[tuple[object, ...]] = []
    for i, r in enumerate(team):
        for j, v in enumerate(r.values):
            cells = [v.value] + [per_agent[a][i].values[j].value for a in agents]
            rows.append((r.info.name, v.label, v.unit, *cells))
    views = [View("汇总", head, rows, intro + ["CSV 和 xlsx 里时长写成秒,比例在 CSV 里写成 0~1 的小数、在 xlsx 里显示为百分比;文字报告里写成百分比和时长。"], unit_col=2)]

    daily_head = ("日期", *[f"{r.info.name} ({_unit_words(r.info.unit)})" for r in team])
    days = [d for d, _ in team[0].series]
    daily_rows = [(d.isoformat(), *[r.series[k][1] for r in team]) for k, d in enumerate(days)]
    views.append(View("每日", daily_head, daily_rows,
                      intro + ["每项数据的主值,按店铺日期逐日计算 (趋势图用的就是它)。"],
                      units={i + 1: r.info.unit for i, r in enumerate(team)}))
    rank_rows = [(r.info.name, "越低越好" if r.info.better == "lower" else "越高越好", rank, who, r.info.unit, h)
                 for r in team for rank, who, h in ranks(r.ranking)]
    if rank_rows:
        views.append(View("排名", ("数据", "方向", "名次", "客服", "单位", "主值"), rank_rows,
                          intro + ["每位客服的主值和名次 (同值同名次)。"], unit_col=4))
    for r in team:
        if r.table:
            views.append(View(r.info.name, r.table_head, list(r.table), intro + [f"公式: {r.info.formula}"]))
    formula_rows = [(r.info.name, r.info.formula, r.info.numerator or "—", r.info.denominator or "—",
                     r.info.agent_rule, r.info.drill) for r in team]
    views.append(View("公式", ("数据", "公式", "分子 (计入的)", "分母", "算给哪位客服", "明细列出"), formula_rows,
                      ["每项数据的计算方法 (和工作台里按 ? 看到的一样)。"]))
    return views


def ranks(ranking: list[tuple[str, float]]) -> list[tuple[int, str, float]]:
    """(rank, agent, value), best first; ties share a rank (1, 2, 2, 4)."""
    out: list[tuple[int, str, float]] = []
    for i, (who, h) in enumerate(ranking, 1):
        rank = out[-1][0] if out and out[-1][2] == h else i
        out.append((rank, who, h))
    return out


def _unit_words(unit: str) -> str:
    return {"%": "比例", "s": "秒"}.get(unit, unit)


def export_report(metrics, scope: Scope, path: Path | None, fmt: str, by_agent: bool = False,
                  progress=None) -> tuple[list[View], str]:
    """Compute and write the report for `scope` as `fmt` ("xlsx", "csv", "text") to `path`
    (text with no path: only returned). With `by_agent` (and no agent in the scope) each agent
    who appears in the ranks gets a column. Returns (views, the text for "text" else "").
    For the shell (console/report_cli.py) and the figures screen's export (from a worker)."""
    team = metrics.compute_all(scope, progress=progress)
    per_agent = {}
    if by_agent and scope.agent is None:
        names = sorted({who for r in team for who, _ in r.ranking})
        per_agent = {a: metrics.compute_all(Scope(scope.start, scope.end, agent=a, kind=scope.kind)) for a in names}
    views = build_views(team, per_agent)
    text = ""
    if fmt == "text":
        text = render_text(views)
        if path is not None:
            path.write_text(text + "\n", encoding="utf-8")
    elif fmt == "xlsx":
        write_xlsx(views, path)
    elif fmt == "csv":
        write_csv(views, path)
    else:
        raise ValueError(f"unknown report format: {fmt}")
    return views, text


# ---- writers ----------------------------------------------------------------------------


def _cell(value: object) -> object:
    return inert_cell(value) if isinstance(value, str) else value


def write_xlsx(views: list[View], path: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for view in views:
        title = _sheet_title(view.title, used)
        ws = wb.create_sheet(title)
        for line in view.notes:
            ws.append([_cell(line)])
            ws.cell(row=ws.max_row, column=1).alignment = Alignment(wrap_text=False)
        ws.append([_cell(h) for h in view.head])
        head_row = ws.max_row
        for c in range(1, len(view.head) + 1):
            ws.cell(row=head_row, column=c).font = Font(bold=True)
        for row in view.rows:
            ws.append([_cell(v) for v in row])
            for c, v in enumerate(row):
                if isinstance(v, float) and view.unit(row, c) == "%":
                    ws.cell(row=ws.max_row, column=c + 1).number_format = "0.0%"
        ws.freeze_panes = ws.cell(row=head_row + 1, column=1)
        for c, h in enumerate(view.head, 1):
            width = max([display_width(str(h))] + [display_width(str(r[c - 1])) for r in view.rows[:200]])
            ws.column_dimensions[ws.cell(row=head_row, column=c).column_letter].width = min(60, max(8, width + 2))
    wb.save(path)
    return path


def _sheet_title(title: str, used: set[str]) -> str:
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)[:31] or "表"
    name, n = clean, 2
    while name in used:
        name = f"{clean[:28]}_{n}"
        n += 1
    used.add(name)
    return name


def write_csv(views: list[View], path: Path) -> Path:
    """One CSV, the views one after another (a title line, the notes, the table, a blank line);
    a BOM so Excel on a Chinese Windows reads UTF-8, not GBK."""
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        for view in views:
            w.writerow([_cell(f"【{view.title}】")])
            for line in view.notes:
                w.writerow([_cell(line)])
            w.writerow([_cell(h) for h in view.head])
            for row in view.rows:
                w.writerow(["" if v is None else _cell(v) for v in row])
            w.writerow([])
    return path


def render_text(views: list[View]) -> str:
    """The views as aligned text for a terminal; shares as percentages, seconds as durations."""
    out: list[str] = []
    for view in views:
        out.append(f"== {view.title} ==")
        out += [inert(line) for line in view.notes]
        table = [[inert(str(h)) for h in view.head]]
        for row in view.rows:
            table.append([_text(v, view.unit(row, i)) for i, v in enumerate(row)])
        widths = [max(display_width(r[i]) for r in table) for i in range(len(view.head))]
        for r in table:
            out.append("  ".join(pad(cell, widths[i]) for i, cell in enumerate(r)).rstrip())
        out.append("")
    return "\n".join(out)


def _text(value: object, unit: str) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and unit:
        return format_value(value, unit)
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return inert(str(value))


def display_width(text: str) -> int:
    """Terminal cells: wide and fullwidth characters (Chinese) take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1
               for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))
