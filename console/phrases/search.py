"""Ranked search over replies: Chinese, full pinyin, pinyin initials, small typos.

Everything that does not depend on the query (normalised fields, pinyin, syllable
starts) is computed once in `SearchIndex.__init__`; a keystroke then costs substring
scans over plain lists of strings (C speed) and, only when those find too little, one
rapidfuzz pass over the short titles (PITFALLS.md: not textual.fuzzy).

Scores (0-100) depend on where the query was found; columns are scanned best first and
each reply keeps its first hit. The gaps between column scores are wider than the
bonuses, so that is the same as taking each reply's best hit:

    title 100 · title pinyin 96 · title initials 92 · id 88 · tags 84 · tags pinyin 80
    tags initials 76 · (Chinese query) homophone in title 72 / tags 68
    text 60 · text pinyin 52 · homophone in text 40 · typo 0.75 x rapidfuzz ratio

+3 when the field starts with the query, +0..3 for usage (near-ties only). Replies in
`boost_ids` (linked to the case's current SOP step) come first whenever they match.
Words separated by spaces must all match; the score is their mean.
"""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from console.phrases.model import Reply
from console.phrases.pinyin import pinyin_of
from console.phrases.placeholders import PLACEHOLDER, label

HAN = re.compile(r"[\u3400-\u9fff]")
SPACES = re.compile(r"\s+")

ZH_PLAN = (("title", 100, "title"), ("tags", 84, "tags"), ("title_py", 72, "pinyin"),
           ("tags_py", 68, "pinyin"), ("text", 60, "text"), ("text_py", 40, "pinyin"))
ASCII_PLAN = (("title", 100, "title"), ("title_py", 96, "pinyin"), ("title_ini", 92, "initials"),
              ("id", 88, "id"), ("tags", 84, "tags"), ("tags_py", 80, "pinyin"),
              ("tags_ini", 76, "initials"), ("text", 56, "text"), ("text_py", 52, "pinyin"))
BODY = frozenset({"text", "text_py"})  # long columns: scanned only when they can matter
START_BONUS = 3  # the field starts with the query
USAGE_MAX = 3.0
FUZZY_BELOW = 12  # run the typo pass only when exact hits are fewer than this
FUZZY_CUTOFF = {"zh": 70.0, "py": 80.0}
FUZZY_WEIGHT = 0.75  # a typo match ranks below exact title and tag hits


@dataclass(frozen=True)
class Result:
    reply: Reply
    score: float
    boosted: bool
    field: str  # where it matched: title, tags, id, text, pinyin, initials, typo ("" = no query)


def normalize(query: str) -> str:
    """Full-width to half-width, lower case, no spaces (pinyin is stored without them)."""
    return SPACES.sub("", unicodedata.normalize("NFKC", query).lower())


def _searchable(text: str) -> str:
    """Placeholders read as their labels: `{order_no}` is found by 订单号, not by "order"."""
    return PLACEHOLDER.sub(lambda m: label(m.group(1)), text)


class SearchIndex:
    """Pinyin and normalised text of every reply, built once; `search` per keystroke."""

    def __init__(self, replies: Iterable[Reply]) -> None:
        self.replies: list[Reply] = list(replies)
        self.ids = [r.id for r in self.replies]
        self.approved = [r.approved for r in self.replies]
        self.index_of: dict[str, int] = {}
        for i, reply_id in enumerate(self.ids):
            self.index_of.setdefault(reply_id, i)
        cols: dict[str, list] = {name: [] for name in (
            "title", "tags", "text", "id", "title_py", "tags_py", "text_py",
            "title_ini", "tags_ini", "title_py_starts", "tags_py_starts", "text_py_starts")}
        for r in self.replies:
            fields = {"title": r.title, "tags": " ".join(r.tags), "text": _searchable(r.text)}
            for name, source in fields.items():
                # "|" between tags so that a query cannot match across two of them
                cols[name].append("|".join(map(normalize, r.tags)) if name == "tags"
                                  else normalize(source))
                py = pinyin_of(source)
                cols[f"{name}_py"].append(py.full)
                cols[f"{name}_py_starts"].append(_mask(len(py.full), py.starts))
                if name != "text":  # initials of a long text would contain almost any pair
                    cols[f"{name}_ini"].append(py.initials)
            cols["id"].append(r.id.lower())
        self.cols = cols
        # Typo pass corpora: Chinese titles+tags are short; pinyin of tags would double the
        # cost of the slowest keystrokes for little gain, so pinyin typos are sought in titles.
        self.fuzzy = {
            "zh": [f"{t} {g}" for t, g in zip(cols["title"], cols["tags"], strict=True)],
            "py": cols["title_py"],
        }

    def __len__(self) -> int:
        return len(self.replies)

    def search(
        self,
        query: str,
        *,
        boost_ids: Collection[str] = (),
        usage: Mapping[str, int] | None = None,
        limit: int | None = 50,
        include_drafts: bool = False,
    ) -> list[Result]:
        """Best replies for `query`, best first. An empty query lists boosted, then most used."""
        usage = usage or {}
        boost = {self.index_of[b] for b in boost_ids if b in self.index_of}
        terms = [t for t in map(normalize, query.split()) if t]
        q = "".join(terms)
        if len(terms) > 1:  # "退款 验货", "yanchang shouhuo": every word must match somewhere
            # The longest word first; each next word only looks among the replies left.
            each: list[dict[int, tuple[float, str]]] = []
            within: set[int] | None = None
            for term in sorted(terms, key=len, reverse=True):
                each.append(self._match(term, boost, None, within))
                within = set(each[-1]) if within is None else within & set(each[-1])
            best = {i: (sum(m[i][0] for m in each) / len(each), each[0][i][1]) for i in within}
        elif q:
            best = self._match(q, boost, limit)
        else:
            best = dict.fromkeys(range(len(self.replies)), (0.0, ""))
        keys = []
        for i, (score, _) in best.items():
            if not include_drafts and not self.approved[i]:
                continue
            used = usage.get(self.ids[i], 0) if usage else 0
            if q and used:
                score += min(USAGE_MAX, 1.5 * math.log10(1 + used))
            keys.append((i not in boost, -score, -used, i))
        keys = sorted(keys) if limit is None else heapq.nsmallest(limit, keys)
        return [Result(self.replies[i], round(-neg, 1), not unboosted, best[i][1])
                for unboosted, neg, _, i in keys]

    def _match(self, q: str, boost: set[int], limit: int | None,
               within: set[int] | None = None) -> dict[int, tuple[float, str]]:
        """Best hit per reply for one word; `within` restricts the replies looked at."""
        han = HAN.search(q) is not None
        plan, kind = (ZH_PLAN, "zh") if han else (ASCII_PLAN, "py")
        body_from = 2 if han else 3  # one or two letters would match nearly every text
        qpy = pinyin_of(q).full if han and len(q) >= 2 else ""
        best: dict[int, tuple[float, str]] = {}
        for column, score, where in plan:
            needle = qpy if han and column.endswith("_py") else q
            if not needle or (len(q) < 2 and column in ("id", "title_ini", "tags_ini")):
                continue  # one letter: *_py already looks at initials; every id has an "e"
            if column in BODY:
                if len(q) < body_from:
                    continue
                # Enough title/tag hits already outrank any body hit; only boosted ones still can.
                only = boost if limit is not None and len(best) >= limit else within
                if only is not None and not only:
                    continue
            else:
                only = within
            hits = self._scan(column, needle, only)
            best.update({i: (score + START_BONUS * at_start, where)
                         for i, at_start in hits if i not in best})
        if len(best) < FUZZY_BELOW and len(q) >= 3:
            corpus = self.fuzzy[kind]
            choices = corpus if within is None else {i: corpus[i] for i in within}
            for _, ratio, i in process.extract(q, choices, scorer=fuzz.partial_ratio,
                                               score_cutoff=FUZZY_CUTOFF[kind], limit=None):
                best.setdefault(i, (FUZZY_WEIGHT * ratio, "typo"))
        return best

    def _scan(self, column: str, q: str, only: set[int] | None) -> list[tuple[int, bool]]:
        """(index, field starts with q) of every hit; pinyin hits only from a syllable start."""
        if column.endswith("_py") and len(q) == 1:
            column = column[:-3] + "_ini"  # one letter starts a syllable iff it is an initial
        strings = self.cols[column]
        found = ([i for i in only if q in strings[i]] if only is not None
                 else [i for i, s in enumerate(strings) if q in s])
        if not column.endswith("_py"):
            return [(i, strings[i].startswith(q)) for i in found]
        starts = self.cols[column + "_starts"]
        hits = []
        for i in found:
            s, mask = strings[i], starts[i]
            pos = s.find(q)
            while pos != -1 and not mask[pos]:  # `an` must not match inside `tuikuan`
                pos = s.find(q, pos + 1)
            if pos != -1:
                hits.append((i, pos == 0))
        return hits


def _mask(length: int, starts: Iterable[int]) -> bytes:
    mask = bytearray(length + 1)
    for s in starts:
        mask[s] = 1
    return bytes(mask)
