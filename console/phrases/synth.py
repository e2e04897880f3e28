"""A synthetic library of any size, for measuring search speed, and the measurement itself.

    python -m console.phrases.synth            # 5,000 replies: open time, per-keystroke times

The replies are remixed from the shipped library (titles, tags and sentences of real
replies with extra words), so lengths and character mix are realistic.
"""

from __future__ import annotations

import random
import re
import statistics
import sys
import time
from pathlib import Path

from console.phrases.model import DEFAULT_LIBRARY, Reply

EXTRA_WORDS = ("加急", "老客户", "大促", "会员", "礼盒装", "旅行装", "精华", "面霜", "洁面", "防晒",
               "面膜", "口红", "套装", "赠品", "夜间", "周末", "节假日", "偏远地区", "顺丰", "中通")
SENTENCE = re.compile(r"[^。！？\n]+[。！？]?")

# What agents type, keystroke by keystroke (an IME delivers whole characters).
QUERIES = ("退款", "退款申请", "tuikuan", "tk", "bq", "wuliu", "破损补发", "kuaidi", "huanhuo",
           "guomin", "催款", "cuikuan", "tuikaun", "yanchang shouhuo", "缺货", "zengpin", "dh")


def synthetic_replies(n: int = 5000, seed: int = 7, base: list[Reply] | None = None) -> list[Reply]:
    if base is None:
        from console.phrases.library import load_library

        base = load_library(DEFAULT_LIBRARY).replies
    rng = random.Random(seed)
    sentences = [s for r in base for s in SENTENCE.findall(r.text) if len(s) > 4]
    out = []
    for i in range(n):
        model = base[i % len(base)]
        extra = rng.sample(EXTRA_WORDS, 2)
        text = "".join(rng.sample(sentences, rng.randint(2, 5)))
        out.append(Reply(
            id=f"{model.category}.synth_{i:05d}",
            title=f"{model.title}（{extra[0]}）",
            text=text,
            status="approved" if rng.random() < 0.9 else "draft",
            tags=model.tags + (extra[1],),
            sop=model.sop,
            path=Path(f"<synthetic>/{model.category}.txt"),
        ))
    return out


def keystrokes(query: str) -> list[str]:
    return [query[:k] for k in range(1, len(query) + 1)]


def measure(n: int = 5000, repeat: int = 3) -> dict[str, float]:
    from console.phrases.library import load_library
    from console.phrases.pinyin import warm_up
    from console.phrases.search import SearchIndex

    t0 = time.perf_counter()
    warm_up()
    t1 = time.perf_counter()
    lib = load_library(DEFAULT_LIBRARY)
    SearchIndex(lib.replies)
    t2 = time.perf_counter()
    replies = synthetic_replies(n, base=lib.replies)
    t3 = time.perf_counter()
    index = SearchIndex(replies)
    t4 = time.perf_counter()
    usage = {r.id: i % 17 for i, r in enumerate(replies[::7])}
    boost = [r.id for r in replies[:5]]
    # Each keystroke's time is the best of `repeat` runs: the code's cost, not the noise of
    # whatever else the machine is doing.
    times = []
    for query in QUERIES:
        for typed in keystrokes(query):
            runs = []
            for _ in range(repeat):
                start = time.perf_counter()
                index.search(typed, boost_ids=boost, usage=usage)
                runs.append(time.perf_counter() - start)
            times.append(min(runs))
    times.sort()
    ms = 1000
    return {
        "pypinyin_import_ms": (t1 - t0) * ms,
        "open_shipped_ms": (t2 - t1) * ms,
        "shipped_replies": len(lib.replies),
        "synthetic_index_ms": (t4 - t3) * ms,
        "keystrokes": len(times),
        "median_ms": statistics.median(times) * ms,
        "p95_ms": times[int(len(times) * 0.95)] * ms,
        "max_ms": times[-1] * ms,
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    n = int(args[0]) if args else 5000
    for key, value in measure(n).items():
        print(f"{key:22} {value:10.2f}" if isinstance(value, float) else f"{key:22} {value:10d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
