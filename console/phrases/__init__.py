"""Approved reply scripts (话术): load, fill placeholders, search, check, approve.

No Textual here: the picker screen calls these functions and draws the results.

    lib = load_library(home.phrases_dir)       # <shop folder or shipped>/phrases/*.txt
    index = SearchIndex(lib.replies)           # pinyin computed once, here
    results = index.search("tk", boost_ids=step_replies, usage=counts)
    text = fill(results[0].reply.text, {"order_no": case.order_no})
    hits = find_forbidden(edited_text)         # positions to highlight
"""

from console.phrases.approve import ApproveError, approve
from console.phrases.forbidden import (
    ForbiddenListError,
    Hit,
    Rule,
    default_rules,
    describe,
    find_forbidden,
    load_forbidden,
)
from console.phrases.library import Library, LibraryError, load_library, parse_text
from console.phrases.lint import lint, lint_library, lint_reply, read_sop
from console.phrases.model import (
    CATEGORIES,
    DEFAULT_FORBIDDEN,
    DEFAULT_LIBRARY,
    DEFAULT_SOP_DIR,
    PLACEHOLDERS,
    STATUSES,
    Problem,
    Reply,
)
from console.phrases.pinyin import warm_up
from console.phrases.placeholders import (
    clock_values,
    fill,
    has_markers,
    missing_values,
    placeholders_in,
)
from console.phrases.search import Result, SearchIndex

__all__ = [
    "CATEGORIES", "DEFAULT_FORBIDDEN", "DEFAULT_LIBRARY", "DEFAULT_SOP_DIR", "PLACEHOLDERS",
    "STATUSES", "ApproveError", "ForbiddenListError", "Hit", "Library", "LibraryError",
    "Problem", "Reply", "Result", "Rule", "SearchIndex", "approve", "default_rules",
    "clock_values", "describe", "fill", "find_forbidden", "has_markers", "lint", "lint_library", "lint_reply",
    "load_forbidden", "load_library", "missing_values", "parse_text", "placeholders_in",
    "read_sop", "warm_up",
]
