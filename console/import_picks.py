"""What the agent picks to import: the folder the exports are downloaded to (remembered on
this computer, next to the agent's name), the newest exports in it, and paths typed or
pasted. No Textual here; the import screen calls these from a worker thread."""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from console.imports import KIND_LABELS, ImportRules, newest_exports

FILE_NAME = "import.toml"  # beside agent.toml in the per-user config folder


class FolderError(Exception):
    """A folder that cannot be used or remembered, said in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def settings_file(identity_file: Path | None = None) -> Path:
    """This computer's import settings: beside the remembered agent name."""
    if identity_file is None:
        from console.identity import identity_file as default

        identity_file = default()
    return identity_file.parent / FILE_NAME


def remembered_folder(path: Path) -> Path | None:
    """The folder remembered in `path`, None when none is (or the file cannot be read: the
    agent is asked again rather than stopped)."""
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    folder = data.get("folder")
    return Path(folder) if isinstance(folder, str) and folder.strip() else None


def check_folder(text: str) -> Path:
    """The folder as it will be remembered (~ expanded, absolute); FolderError when it is
    not a folder, naming where the console looked."""
    folder = Path(unquote(text)).expanduser()
    if not str(text).strip():
        raise FolderError("请填写文件夹, 例如 ~/Downloads")
    try:
        folder = folder.resolve()
        if not folder.is_dir():
            what = "不是文件夹" if folder.exists() else "不存在"
            raise FolderError(f"这个文件夹{what}: {folder}")
    except OSError as exc:
        raise FolderError(f"打不开这个文件夹: {folder} ({exc.strerror or exc})") from None
    return folder


def remember_folder(folder: Path, path: Path) -> None:
    """Write the folder to `path`, whole or not at all."""
    text = ("# 这台电脑上导入千牛导出时先看的文件夹 (售后工作台, 在导入屏幕按 f 更改)。\n"
            f"folder = {json.dumps(str(folder), ensure_ascii=False)}\n")
    from console.identity import write_whole

    try:
        write_whole(path, text)
    except OSError as exc:
        raise FolderError(f"无法记住这个文件夹 ({path}: {exc.strerror or exc})") from None


def default_folder() -> Path:
    """Where browsers put downloads on this computer (the agent may choose another)."""
    import platformdirs

    return Path(platformdirs.user_downloads_dir())


@dataclass(frozen=True)
class Offer:
    """An export in the folder, offered to import: its kind, time and size."""

    path: Path
    kind: str  # refund | order | order_item
    modified: datetime  # aware UTC
    size: int

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, "无法识别")


def offers(folder: Path, rules: ImportRules) -> list[Offer]:
    """The newest export of each kind in `folder`, newest first. FolderError when the folder
    is not there (naming it), [] when it holds no export."""
    if not folder.is_dir():
        raise FolderError(f"找不到文件夹: {folder}")
    out = []
    for found in newest_exports(folder, rules):
        try:
            stat = found.path.stat()
        except OSError:
            continue  # gone since it was listed
        out.append(Offer(found.path, found.kind, datetime.fromtimestamp(stat.st_mtime, UTC), stat.st_size))
    return out


_QUOTED = re.compile(r'"([^"]+)"|\'([^\']+)\'')


def unquote(text: str) -> str:
    """A path as pasted or dropped on a terminal: quotes, file:// and backslash-escaped
    spaces taken off."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1]
    if text.startswith("file://"):
        from urllib.parse import unquote as url_unquote

        text = url_unquote(text.removeprefix("file://"))
    if os.sep == "/":
        text = text.replace("\\ ", " ")
    return text


def split_paths(text: str) -> list[str]:
    """Several paths typed or pasted on one line: each in quotes ("a b.csv" 'c.csv'), or
    separated by ; or a new line, or by spaces when each part ends in .csv/.txt."""
    text = text.strip()
    if not text:
        return []
    if _QUOTED.search(text):
        return [a or b for a, b in _QUOTED.findall(text)]
    parts = [p for p in re.split(r"[;；\n]+", text) if p.strip()]
    if len(parts) == 1 and " " in text:
        # Dropped files separated by spaces: split only where a part ends like an export.
        pieces = re.split(r"(?<=\.csv) +|(?<=\.txt) +", text, flags=re.IGNORECASE)
        if len(pieces) > 1:
            parts = pieces
    return [unquote(p) for p in parts]
