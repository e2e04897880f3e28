"""The import screen's first step: the exports in the agent's folder (remembered on this
computer), paths typed or pasted, the folder set. Listing and checking folders run in
worker threads (a folder may be on a slow drive)."""

from __future__ import annotations

import logging
from pathlib import Path

from rich.text import Text
from textual.widgets import DataTable, Static

from console.import_picks import (
    FolderError,
    Offer,
    check_folder,
    default_folder,
    offers,
    remember_folder,
    remembered_folder,
    settings_file,
    split_paths,
)
from console.imports import RulesError
from console.log import exc_info
from console.screens.import_views import fill_table, size_label
from console.sla import shop_time
from console.textsafe import inert

log = logging.getLogger("console.import")


class PickExports:
    """Mixed into ImportScreen: `_rules`, `_later`, `_preview` and the widgets are its."""

    def _load_offers(self) -> None:
        """The folder remembered on this computer and its newest exports, in a worker."""
        settings = settings_file(self.app.identity_file)

        def job() -> None:
            remembered = remembered_folder(settings)
            folder = remembered or default_folder()
            try:
                found = offers(folder, self._rules())
                error = ""
            except FolderError as exc:
                found, error = [], exc.message
            except RulesError as exc:
                found, error = [], str(exc)
            except OSError as exc:
                found, error = [], f"读不了文件夹 {folder}: {exc.strerror or exc}"
            except Exception as exc:  # noqa: BLE001 - said on the screen, the traceback to the log
                log.error("列出导出文件时出现意外错误", exc_info=exc_info(exc))
                found, error = [], f"列出导出文件时出现意外错误: {exc}。详情已写入日志。"
            self._later(self._offers_loaded, folder, remembered is not None, found, error)

        self.run_worker(job, thread=True, exit_on_error=False, group="import-offers")

    def _offers_loaded(self, folder: Path, remembered: bool, found: list[Offer], error: str) -> None:
        self.folder, self.folder_remembered, self.offers = folder, remembered, found
        where = Text.assemble("导出文件夹: ", (inert(str(folder)), "bold"),
                              "" if remembered else ("  (默认; 按 f 设置, 这台电脑会记住)", "dim"))
        self.query_one("#imp-folder", Static).update(where)
        table = self.query_one("#imp-offers", DataTable)
        table.display = bool(found)
        policy = self.app.policy
        rows = [[offer.kind_label, inert(offer.path.name), shop_time(offer.modified, policy, "%Y-%m-%d %H:%M"),
                 size_label(offer.size)] for offer in found]
        fill_table(table, ["类型", "文件名", "修改时间", "大小"], rows, max(self.size.width - 2, 40),
              keep=[True, False, True, True], fill=False)
        note = self.query_one("#imp-pick-note", Static)
        if error:
            note.update(Text(f"✖ {error}\n按 f 换一个文件夹, 或按 p 直接输入文件路径。", style="bold"))
        elif not found:
            note.update(Text("这个文件夹里没有千牛导出 (退款报表、订单报表、宝贝报表)。\n"
                             "在千牛: 退款管理 → 导出, 或 已卖出的宝贝 → 批量导出; 下载后按 f 刷新, 或按 p 输入路径。"))
        else:
            note.update(Text("回车 预览选中的文件 · a 把列出的一起预览 · r 刷新 · p 输入其他路径 · 预览不会写入任何内容",
                             style="dim"))

    def action_preview(self) -> None:
        table = self.query_one("#imp-offers", DataTable)
        if not self.offers:
            self.app.notify("没有可预览的文件: 按 p 输入路径, 或按 f 换文件夹")
            return
        row = min(table.cursor_row or 0, len(self.offers) - 1)
        self._preview([self.offers[row].path])

    def action_preview_all(self) -> None:
        if not self.offers:
            self.app.notify("没有可预览的文件: 按 p 输入路径, 或按 f 换文件夹")
            return
        self._preview([o.path for o in self.offers])

    def action_paste(self) -> None:
        from console.screens.dialogs import PromptDialog

        def check(text: str) -> str | None:
            return None if split_paths(text) else "请输入文件路径"

        def chosen(text: str | None) -> None:
            if text:
                self._preview([Path(p).expanduser() for p in split_paths(text)])

        self.app.push_screen(PromptDialog("要导入的文件 (可粘贴路径; 多个文件用 ; 分隔或各加引号)", "",
                                          "例如 ~/Downloads/ExportOrderList202611231403.csv", check), chosen)

    def action_folder(self) -> None:
        from console.screens.dialogs import PromptDialog

        app, settings = self.app, settings_file(self.app.identity_file)
        current = str(self.folder) if self.folder else ""

        def chosen(text: str | None) -> None:
            if text is None:
                return

            def job() -> None:
                try:
                    folder = check_folder(text)
                    remember_folder(folder, settings)
                except FolderError as exc:
                    self._later(app.notify, f"{exc.message}。导出文件夹没有改, 还在看 {current or '默认文件夹'}",
                                markup=False, severity="error", timeout=10)
                    return
                self._later(app.notify, f"导出文件夹已设为 {folder} (这台电脑会记住)", markup=False)
                self._later(self._load_offers)

            self.run_worker(job, thread=True, exit_on_error=False, group="import-folder")

        self.app.push_screen(PromptDialog("先看哪个文件夹里的千牛导出? (这台电脑会记住)", current,
                                          "例如 ~/Downloads 或 C:\\Users\\小王\\Downloads"), chosen)

    def action_refresh(self) -> None:
        self.query_one("#imp-folder", Static).update(Text("正在查找导出文件…"))
        self._load_offers()
