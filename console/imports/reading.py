"""Reading an export file: its bytes, its encoding, its rows with their line numbers.

Qianniu writes GBK (read as GB18030, which contains it); Excel re-saves as UTF-8 with a BOM
(or UTF-16 "Unicode text", tab-separated). A line that cannot be decoded is refused on its
own, with its line number: the other lines still import.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from console.imports.rules import ImportRules, norm
from console.imports.types import Rejected

# The encodings the detector may name that we accept as they are; everything Chinese-simplified
# is read as GB18030, which is a superset of GB2312 and GBK.
_GB_FAMILY = frozenset({"gb2312", "gbk", "gb18030", "hz", "cp936"})
_DETECTOR_SAMPLE = 64 * 1024
# csv's own limit is 128 KiB per field; a description never needs more than this anyway.
MAX_FIELD = 1 << 20


class FileError(ValueError):
    """The whole file cannot be read; str() names the file and says why, in Chinese."""


@dataclass
class Table:
    """A decoded export: its header, then `rows`, an iterator of (line, cells) read as it is
    consumed (a 100,000-row file is never held as cells all at once); summary rows and empty
    lines are skipped. `rejected` holds the lines that could not be read, complete once `rows`
    has been consumed."""

    name: str
    encoding: str
    header: list[str]
    rows: Iterator[tuple[int, list[str]]] = field(default_factory=lambda: iter(()))
    rejected: list[Rejected] = field(default_factory=list)
    size: int = 0  # characters of the decoded text
    position: int = 0  # characters read so far (moves as `rows` is consumed)

    @property
    def fraction(self) -> float:
        """How much of the file has been read, 0 to 1 (for a progress bar)."""
        return min(self.position / self.size, 1.0) if self.size else 1.0


def decode(data: bytes, name: str) -> tuple[str, str, list[Rejected]]:
    """(text, encoding name, lines refused). UTF-8 (with or without BOM) first; else the
    detector's answer when it names UTF-16, Big5 or the GB family; else GB18030."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16", []
        except UnicodeDecodeError as exc:
            raise FileError(f"{name}: 文件像是 UTF-16 编码, 但第 {_line_at(data, exc.start)} 行无法解码") from None
    if data.startswith(b"\xef\xbb\xbf"):
        encoding, label = "utf-8-sig", "UTF-8-BOM"
    else:
        encoding, label = "utf-8", "UTF-8"
    try:
        return data.decode(encoding), label, []
    except UnicodeDecodeError:
        if label == "UTF-8-BOM":
            return _by_line(data[3:], "utf-8", label, name)
    guess = _detect(data)
    if guess == "big5":
        try:
            return data.decode("big5"), "Big5", []
        except UnicodeDecodeError:
            pass
    return _by_line(data, "gb18030", "GB18030", name)


def _detect(data: bytes) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(data[:_DETECTOR_SAMPLE]).best()
    enc = (best.encoding if best is not None else "").lower()
    return "gb18030" if enc in _GB_FAMILY else enc


def _by_line(data: bytes, encoding: str, label: str, name: str) -> tuple[str, str, list[Rejected]]:
    """Decode line by line: a line that cannot be decoded becomes an empty line and a refusal
    naming it (b'\\n' never occurs inside a GB18030 or UTF-8 character, so lines are safe to cut)."""
    try:
        return data.decode(encoding), label, []
    except UnicodeDecodeError:
        pass
    out, bad = [], []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            out.append(raw.decode(encoding))
        except UnicodeDecodeError as exc:
            out.append("")
            bad.append(Rejected(name, number, "", f"这一行有无法识别的字节 (第 {exc.start + 1} 个字节), "
                                                  f"既不是 UTF-8 也不是 GBK: 这一行没有导入"))
    if len(bad) * 2 > len(out):
        raise FileError(f"{name}: 大部分行都无法解码 (不是 UTF-8 也不是 GBK/GB18030), "
                        f"第一处在第 {bad[0].line} 行。请从千牛重新导出这个文件。")
    return "\n".join(out), label, bad


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def read_table(path: Path, rules: ImportRules, data: bytes | None = None) -> Table:
    """Decode `path` and read its header; its rows are read as `rows` is consumed. FileError
    when the file as a whole cannot be used (missing, empty, no header)."""
    name = path.name
    if data is None:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise FileError(f"{name}: 文件不存在 ({path})") from None
        except IsADirectoryError:
            raise FileError(f"{name}: 这是一个文件夹, 不是导出的文件") from None
        except PermissionError:
            raise FileError(f"{name}: 没有权限读取这个文件") from None
        except OSError as exc:
            raise FileError(f"{name}: 无法读取文件 ({type(exc).__name__})") from None
    if not data.strip():
        raise FileError(f"{name}: 文件是空的")
    text, encoding, rejected = decode(data, name)
    del data  # the text is all that is needed from here on
    csv.field_size_limit(MAX_FIELD)
    first = text[:text.find("\n")] if "\n" in text else text
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    table = Table(name, encoding, [], rejected=rejected, size=len(text))
    reader = csv.reader(_lines(text, table), delimiter=delimiter, strict=True)
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                table.header = [c.strip() for c in cells]
                break
    except csv.Error:
        pass
    if not table.header:
        raise FileError(f"{name}: 文件是空的 (没有标题行)")
    table.rows = _rows(reader, table, rules, not text.endswith("\n"))
    return table


def _lines(text: str, table: Table) -> Iterator[str]:
    """The text's lines with their endings, one at a time (no copy of the whole text);
    `table.position` follows them."""
    start, end = 0, len(text)
    while start < end:
        stop = text.find("\n", start)
        stop = end if stop < 0 else stop + 1
        table.position = stop
        yield text[start:stop]
        start = stop


def _rows(reader, table: Table, rules: ImportRules, cut: bool) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of each data row. The last row is held back until the end: in a file
    that stops mid-line (`cut`), a last row with too few cells was cut off."""
    start = reader.line_num + 1
    held: tuple[int, list[str]] | None = None
    width = len(table.header)
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells) or _is_summary(cells, rules):
                continue
            if held is not None:
                yield held
            held = (line, cells)
    except csv.Error:
        # Only a quote left open at the end of the file gets here: the file was cut off.
        table.rejected.append(Rejected(table.name, start, "", "文件在这一行被截断 (引号没有结束), 这一行没有导入; "
                                                              "请重新导出完整的文件"))
    if held is None:
        return
    if cut and len(held[1]) < width:
        table.rejected.append(Rejected(table.name, held[0], "", "文件在最后一行被截断 (列数不够), 这一行没有导入; "
                                                                "请重新导出完整的文件"))
        return
    yield held


def _is_summary(cells: list[str], rules: ImportRules) -> bool:
    first = next((c.strip() for c in cells if c.strip()), "")
    if first[:1] in '="0123456789':
        return False  # an order number: never a total (and cheap to tell)
    first = norm(first)
    return any(first.startswith(marker) for marker in rules.summary_rows)


def peek_header(path: Path, limit: int = 8192) -> list[str]:
    """The header cells of a file from its first bytes (to tell exports apart in a folder
    cheaply); [] when it cannot be read."""
    try:
        with open(path, "rb") as f:
            data = f.read(limit)
    except OSError:
        return []
    first = data.split(b"\n", 1)[0]
    for enc in ("utf-8-sig", "gb18030", "utf-16"):
        try:
            text = first.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        return []
    delimiter = "\t" if text.count("\t") > text.count(",") else ","
    try:
        return next(csv.reader([text.rstrip("\r")], delimiter=delimiter), [])
    except csv.Error:
        return []
