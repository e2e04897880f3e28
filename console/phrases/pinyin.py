"""Pinyin of reply titles, tags and text, so an agent can type `tuikuan` or `tk` for 退款.

Why not `pypinyin.lazy_pinyin` on every text: with its phrase tables it costs ~0.15 s
and +56 MiB at import (PITFALLS.md), and its segmenter takes ~1 ms per reply, too slow
for thousands. So pypinyin is imported without phrase tables (PYPINYIN_NO_PHRASES, ~40
ms, +12 MiB) and only its per-character table is used: each character's first reading,
tone marks stripped, cached per character. The few 多音字 words of this trade whose first
reading is wrong (重新 is chongxin, not zhongxin) are corrected from DOMAIN_WORDS, longest
word first. If something else already imported pypinyin with phrase tables, that is fine.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

# Characters whose first reading in pypinyin's table is the rarer one in this trade
# (延长 / 长时间 / 多长, far more than 店长).
CHAR_READINGS: dict[str, str] = {"长": "chang"}

# Words whose per-character reading (after CHAR_READINGS) is wrong. Add a word when a
# search by its pinyin fails; `test_domain_words_are_needed` keeps the list minimal.
DOMAIN_WORDS: dict[str, str] = {
    "重新": "chong xin", "重发": "chong fa", "重复": "chong fu", "重拍": "chong pai",
    "重寄": "chong ji", "重购": "chong gou", "重下单": "chong xia dan",
    "店长": "dian zhang", "成长": "cheng zhang", "家长": "jia zhang",
    "银行": "yin hang", "开户行": "kai hu hang", "行业": "hang ye",
    "了解": "liao jie", "不了": "bu liao", "还款": "huan kuan", "退还": "tui huan",
    "归还": "gui huan", "还给": "huan gei", "还钱": "huan qian",
    "给予": "ji yu", "供给": "gong ji", "便宜": "pian yi", "睡觉": "shui jiao",
    "着急": "zhao ji", "出差": "chu chai", "调解": "tiao jie", "调整": "tiao zheng",
    "协调": "xie tiao", "空调": "kong tiao",
}

_TOKEN = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Pinyin:
    full: str  # "tuikuan"
    initials: str  # "tk"
    starts: tuple[int, ...]  # offsets in `full` where a syllable begins


@cache
def _table() -> dict[int, str]:
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
    from pypinyin.pinyin_dict import pinyin_dict

    return pinyin_dict


@cache
def _char(ch: str) -> str:
    """Toneless first reading of one character ('' if none); ü is typed as v."""
    if ch in CHAR_READINGS:
        return CHAR_READINGS[ch]
    readings = _table().get(ord(ch))
    if not readings:
        return ""
    first = unicodedata.normalize("NFD", readings.split(",", 1)[0]).replace("u\u0308", "v")
    return "".join(c for c in first if c.isascii())


@cache
def _words_by_first_char() -> dict[str, list[tuple[str, list[str]]]]:
    table: dict[str, list[tuple[str, list[str]]]] = {}
    for word, reading in sorted(DOMAIN_WORDS.items(), key=lambda kv: -len(kv[0])):
        table.setdefault(word[0], []).append((word, reading.split()))
    return table


def syllables(text: str) -> list[str]:
    """Syllables of Han characters, and lower-case letter/digit runs of everything else."""
    words = _words_by_first_char()
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        for word, reading in words.get(ch, ()):
            if text.startswith(word, i):
                out.extend(reading)
                i += len(word)
                break
        else:
            syllable = _char(ch) if ch >= "\u3400" else ""
            if syllable:
                out.append(syllable)
                i += 1
            else:  # a run of non-Han text: its letters and digits, lower-cased
                j = i + 1
                while j < n and text[j] < "\u3400":
                    j += 1
                out.extend(_TOKEN.findall(text[i:j].lower()))
                i = j
    return out


def pinyin_of(text: str) -> Pinyin:
    parts = syllables(text)
    starts, offset = [], 0
    for syllable in parts:
        starts.append(offset)
        offset += len(syllable)
    return Pinyin("".join(parts), "".join(s[0] for s in parts), tuple(starts))


def warm_up() -> None:
    """Load the character table now (e.g. in a worker at app start), not on first open."""
    _table()
