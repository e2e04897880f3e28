"""The shop's own folder (店铺文件夹): its SOP trees, replies, forbidden phrases, deadline
rules, settings and database, kept apart from the program's shipped defaults, which are
only ever read.

    home = resolve(args.home)       # --home DIR > AFTERSALES_HOME > a per-user default
    home.sop_dir                    # <home>/sop when the shop has its own, else the shipped one
    report = init(Path("D:/店铺"))   # copy the defaults there, never overwriting a file

No Textual here: the command line resolves the home once and hands it to the app.
"""

from __future__ import annotations

import os
import re
import shutil
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

APP_NAME = "aftersales"
ENV_HOME = "AFTERSALES_HOME"
# Inside the installed package: read, never written (a wheel may sit in a read-only place).
SHIPPED = Path(__file__).resolve().parent / "defaults"
CONFIG_FILE = "config.toml"
DB_FILE = "console.db"
EXPORTS_DIR = "exports"
# What a shop may keep its own copy of; each one missing from the home falls back to the
# shipped default on its own, so a shop can override the replies and keep the rest.
ITEMS = ("sla.toml", "holidays.toml", "sop", "forbidden.toml", "phrases", "phrase_rules.toml", "import_columns.toml")
ITEM_LABELS = {"sla.toml": "时效规则", "holidays.toml": "节假日 (工作日计时)", "sop": "SOP 决策树",
               "forbidden.toml": "禁用语", "phrases": "话术库", "phrase_rules.toml": "话术与SOP对照规则",
               "import_columns.toml": "千牛导出的列名 (导入)"}

# [shop] keys of config.toml: (label, longest value).
SHOP_KEYS = {"name": ("店铺名", 64), "return_address": ("退货地址", 300)}

CONFIG_TEMPLATE = """\
# 店铺设置 (shop settings) · 售后工作台
# 用记事本等编辑器修改后保存为 UTF-8。去掉行首的 # 才会生效。
# 格式错误时程序会指出文件和行号, 并且不会启动。

[shop]
# 店铺名: 填进话术里的 {shop_name}。命令行 --shop 或环境变量 AFTERSALES_SHOP 优先。
# name = "小美旗舰店"

# 退货地址: 填进话术里的 {return_address} (收件人、电话、地址写在一行里)。
# return_address = "浙江省杭州市余杭区某某路 1 号 小美旗舰店售后组 收 0571-00000000"
"""


class HomeError(Exception):
    """The shop folder or its config.toml cannot be used; `message` says which file and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ShopConfig:
    """The [shop] table of config.toml; empty strings where the shop has not set a value."""

    shop_name: str = ""
    return_address: str = ""


@dataclass(frozen=True)
class Home:
    """A resolved shop folder. `root` may not exist yet for the per-user default (first start)."""

    root: Path
    origin: str = "default"  # "--home", "AFTERSALES_HOME" or "default"
    config: ShopConfig = field(default_factory=ShopConfig)

    def source(self, item: str) -> Path:
        """The shop's own copy of `item` (one of ITEMS) when it has one, else the shipped one."""
        own = self.root / item
        return own if own.exists() else SHIPPED / item

    def is_own(self, item: str) -> bool:
        return (self.root / item).exists()

    @property
    def sla_file(self) -> Path:
        return self.source("sla.toml")

    @property
    def holidays_file(self) -> Path:
        return self.source("holidays.toml")

    @property
    def sop_dir(self) -> Path:
        return self.source("sop")

    @property
    def forbidden_file(self) -> Path:
        return self.source("forbidden.toml")

    @property
    def phrases_dir(self) -> Path:
        return self.source("phrases")

    @property
    def phrase_rules_file(self) -> Path:
        """What a reply may promise against its SOP outcome (`phrases check`)."""
        return self.source("phrase_rules.toml")

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def db_file(self) -> Path:
        return self.root / DB_FILE

    @property
    def exports_dir(self) -> Path:
        return self.root / EXPORTS_DIR

    @property
    def shop_name(self) -> str:
        return self.config.shop_name

    @property
    def return_address(self) -> str:
        return self.config.return_address


def default_home() -> Home:
    """The per-user default folder, its config.toml not read (for callers given no Home)."""
    return Home(default_root(), "default")


def is_shipped(path: Path | str) -> bool:
    """True for the program's own files, which the console must never write."""
    try:
        return Path(path).resolve().is_relative_to(SHIPPED)
    except OSError:
        return False


def default_root() -> Path:
    """The per-user shop folder: %LOCALAPPDATA%\\aftersales on Windows, ~/.local/share/aftersales
    on Linux (XDG_DATA_HOME respected), ~/Library/Application Support/aftersales on macOS."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def chosen_root(arg: str | os.PathLike[str] | None,
                environ: Mapping[str, str] | None = None) -> tuple[Path, str]:
    """(folder, where it came from) by precedence, without checking that it exists."""
    environ = os.environ if environ is None else environ
    if arg is not None and str(arg).strip():
        return Path(str(arg).strip()).expanduser().absolute(), "--home"
    env = environ.get(ENV_HOME, "").strip()
    if env:
        return Path(env).expanduser().absolute(), ENV_HOME
    return default_root(), "default"


def resolve(arg: str | os.PathLike[str] | None = None,
            environ: Mapping[str, str] | None = None) -> Home:
    """The shop folder to use: `--home DIR` > AFTERSALES_HOME > the per-user default.

    A folder named on purpose (option or environment) must exist; the per-user default may
    not yet (first start). A config.toml in it is read and checked.
    Raises HomeError with the folder or file named.
    """
    root, origin = chosen_root(arg, environ)
    if origin != "default":
        if not root.exists():
            raise HomeError(f"店铺文件夹不存在: {root} (来自 {origin})。\n"
                            f"先运行 aftersales init \"{root}\" 建立它, 或改正路径。")
        if not root.is_dir():
            raise HomeError(f"店铺文件夹不是一个文件夹: {root} (来自 {origin})")
    config_path = root / CONFIG_FILE
    config = load_config(config_path) if config_path.is_file() else ShopConfig()
    return Home(root, origin, config)


def ensure_root(home: Home) -> bool:
    """Create the per-user default folder (for the database) if missing; True if created."""
    if home.root.is_dir():
        return False
    try:
        home.root.mkdir(parents=True)
    except FileExistsError:
        raise HomeError(f"店铺文件夹不是一个文件夹: {home.root}") from None
    except OSError as exc:
        raise HomeError(f"无法建立店铺文件夹 {home.root}: {exc.strerror or exc}") from None
    return True


# ---- config.toml ------------------------------------------------------------------------


def load_config(path: Path) -> ShopConfig:
    """Read and check config.toml; HomeError naming the file (and line) on any problem."""
    try:
        text = path.read_bytes().decode("utf-8-sig")  # Notepad may save a BOM
    except OSError as exc:
        raise HomeError(f"无法读取店铺设置 {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise HomeError(f"{path}: 文件不是 UTF-8 编码 (请另存为 UTF-8)") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        line = found.group(1) if found else "1"
        raise HomeError(f"店铺设置有误, 没有启动:\n{path}:{line}: TOML 格式错误: {exc}") from None
    problems: list[str] = []
    for key in data:
        if key != "shop":
            problems.append(f"{path}:{_line_of(text, key)}: 未知的设置 {key!r} (只有 [shop] 一节)")
    shop = data.get("shop", {})
    values: dict[str, str] = {}
    if not isinstance(shop, dict):
        problems.append(f"{path}:{_line_of(text, 'shop')}: shop 应该是一节 [shop]")
        shop = {}
    for key, value in shop.items():
        line = _line_of(text, key)
        if key not in SHOP_KEYS:
            problems.append(f"{path}:{line}: 未知的设置 shop.{key} (可用: {', '.join(SHOP_KEYS)})")
            continue
        label, longest = SHOP_KEYS[key]
        if not isinstance(value, str):
            problems.append(f"{path}:{line}: shop.{key} ({label}) 应该是用双引号括起来的文字")
            continue
        value = value.strip()
        if not value.isprintable():
            problems.append(f"{path}:{line}: shop.{key} ({label}) 里有换行或控制字符")
        elif len(value) > longest:
            problems.append(f"{path}:{line}: shop.{key} ({label}) 太长 (最多 {longest} 个字)")
        else:
            values[key] = value
    if problems:
        raise HomeError("店铺设置有误, 没有启动:\n" + "\n".join(problems))
    return ShopConfig(shop_name=values.get("name", ""), return_address=values.get("return_address", ""))


def _line_of(text: str, key: str) -> int:
    """Line of `key = ...` or `[key]` (1 if not found: tomllib keeps no positions)."""
    pattern = re.compile(rf"^\s*(\[\s*{re.escape(key)}\s*\]|{re.escape(key)}\s*=)")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return number
    return 1


# ---- aftersales init ---------------------------------------------------------------------


@dataclass
class InitReport:
    root: Path
    copied: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


def init(dest: Path | str) -> InitReport:
    """Copy the shipped defaults and a commented config.toml into `dest`.

    An existing file is never overwritten (it is listed in `kept`). On any failure every
    file and folder this call created is removed again and HomeError says why: a failed
    init changes nothing.
    """
    root = Path(dest).expanduser().absolute()
    if is_shipped(root):
        raise HomeError(f"{root} 是程序自带的默认文件, 不能用作店铺文件夹")
    plan: list[tuple[Path | None, Path]] = []
    for item in ITEMS:
        source = SHIPPED / item
        if source.is_dir():
            plan += [(f, root / item / f.relative_to(source))
                     for f in sorted(source.rglob("*")) if f.is_file()]
        else:
            plan.append((source, root / item))
    plan.append((None, root / CONFIG_FILE))

    report = InitReport(root)
    made_dirs: list[Path] = []
    try:
        for source, target in plan:
            if target.exists() or target.is_symlink():
                report.kept.append(target)
                continue
            _make_dirs(target.parent, made_dirs)
            if source is None:
                with open(target, "x", encoding="utf-8") as out:
                    out.write(CONFIG_TEMPLATE)
            else:
                with open(source, "rb") as src, open(target, "xb") as out:
                    shutil.copyfileobj(src, out)
            report.copied.append(target)
    except OSError as exc:
        for path in reversed(report.copied):
            path.unlink(missing_ok=True)
        for folder in reversed(made_dirs):
            try:
                folder.rmdir()
            except OSError:
                pass
        where = f" ({exc.filename})" if exc.filename else ""
        raise HomeError(f"无法在 {root} 建立店铺文件夹: {exc.strerror or exc}{where}。"
                        "没有改动任何文件。") from None
    return report


def _make_dirs(folder: Path, made: list[Path]) -> None:
    """mkdir -p that records each folder it created, so a failure can remove them again."""
    missing: list[Path] = []
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir()
        made.append(path)
