"""Who sits at this computer: the agent's name, asked on first start and remembered per user.

The operating-system account says nothing useful (shop PCs run as `administrator`, servers
as `root`), so it is never used. The name lives in a small UTF-8 TOML file in the per-user
config folder (platformdirs): %LOCALAPPDATA%\\aftersales\\agent.toml on Windows,
~/.config/aftersales/agent.toml on Linux. `aftersales whoami NAME` changes it.
"""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from pathlib import Path

from console.home import APP_NAME

FILE_NAME = "agent.toml"
MAX_LENGTH = 64


class IdentityError(Exception):
    """A bad name, or a remembered-name file that cannot be read or written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def identity_file() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / FILE_NAME


def check_name(raw: str) -> str:
    """The name as it will be stored (trimmed); IdentityError with the reason in Chinese."""
    name = raw.strip()
    if not name:
        raise IdentityError("名字不能为空")
    if not name.isprintable():
        raise IdentityError("名字里不能有换行、制表符或其他控制字符")
    if len(name) > MAX_LENGTH:
        raise IdentityError(f"名字太长了 (最多 {MAX_LENGTH} 个字)")
    return name


def remembered_name(path: Path | None = None) -> str | None:
    """The name remembered on this computer, None if none yet (IdentityError if unreadable)."""
    path = path or identity_file()
    if not path.exists():
        return None
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except OSError as exc:
        raise IdentityError(f"无法读取记住的客服名字 {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise IdentityError(f"{path}: 文件格式有误 ({exc})。\n"
                            "用 aftersales whoami 你的名字 重新设置, 或删掉这个文件后重新启动。") from None
    name = data.get("name")
    if not isinstance(name, str):
        raise IdentityError(f"{path}: 缺少 name = \"你的名字\" 这一行。用 aftersales whoami 你的名字 重新设置。")
    try:
        return check_name(name)
    except IdentityError as exc:
        raise IdentityError(f"{path}: 记住的名字不能用: {exc.message}。"
                            "用 aftersales whoami 你的名字 重新设置。") from None


def remember_name(name: str, path: Path | None = None) -> Path:
    """Store the (checked) name for this computer; returns the file. Written whole or not at all."""
    name = check_name(name)
    path = path or identity_file()
    text = ("# 这台电脑上的客服名字 (售后工作台)。\n"
            "# 改名: aftersales whoami 新名字, 或改下面这一行 (保存为 UTF-8)。\n"
            f"name = {json.dumps(name, ensure_ascii=False)}\n")
    try:
        write_whole(path, text)
    except OSError as exc:
        raise IdentityError(f"无法保存客服名字到 {path}: {exc.strerror or exc}") from None
    return path


def write_whole(path: Path, text: str) -> None:
    """A small per-computer settings file (this one, the import folder), written beside and
    renamed over the old one: whole or not at all. OSError as it comes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def agent_name(arg: str | None, remembered_file=None) -> str | None:
    """--agent, else AFTERSALES_AGENT, else the name remembered on this computer; None: ask.

    Never the operating-system account (often `root` or `administrator`).
    IdentityError for a bad name or an unreadable remembered-name file.
    """
    given = arg if arg is not None else os.environ.get("AFTERSALES_AGENT")
    if given is not None and given.strip():
        return check_name(given)
    return remembered_name(remembered_file)
