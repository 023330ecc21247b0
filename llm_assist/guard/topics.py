"""The topics rules decide on, recognised in zh and en, and what backs each one.

Why: "no uncited sentence" needs to know what a sentence is about. A sentence about a waiting
period, an exclusion, a duplicate invoice ... makes a rule-based claim about the case, so the
guard asks whether a rule the note cites (or, for the summary, a rule the decision applied)
speaks of the same topic: in its explanation texts (either language), its legal basis, its
rule id or the fact keys it read (``waiting_period``, ``line.provider_id`` ...).
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["backed_topics", "topics"]

_I = re.IGNORECASE

# topic -> (pattern in either language, substrings of rule ids / fact keys that back it)
_TOPICS: dict[str, tuple[re.Pattern[str], tuple[str, ...]]] = {
    "waiting period": (re.compile(r"waiting[ _-]period|等待期", _I), ("waiting_period",)),
    "exclusion": (
        re.compile(
            r"(?<![A-Za-z])exclu(?:ded|sions?)(?![A-Za-z])|责任免除|除外责任|免责条款|除外", _I
        ),
        ("exclu",),
    ),
    "duplicate invoice": (
        re.compile(
            r"duplicate|already (?:been )?claimed|paid twice|claimed twice|重复|已经申请过", _I
        ),
        ("duplicate",),
    ),
    "fraud signal": (
        re.compile(
            r"fraud|suspicious|outlier|far above the usual|unusually (?:high|large)"
            r"|欺诈|骗保|可疑|明显高于|异常高",
            _I,
        ),
        ("fraud", "outlier"),
    ),
    "designated provider": (
        re.compile(
            r"designated|in-network|out-of-network|outside (?:your|the) (?:plan's )?network"
            r"|指定医疗机构|非指定|定点",
            _I,
        ),
        ("provider", "designated"),
    ),
    "annual limit": (
        re.compile(r"annual (?:limit|maximum|max)|yearly limit|年度限额|年度上限|年度最高", _I),
        ("annual",),
    ),
    "per-visit limit": (re.compile(r"per[- ]visit|each visit|每次就诊|单次就诊", _I), ("visit",)),
    "identity check": (
        re.compile(r"ID (?:number|card|copy)|[Ii]dentity|check digit|身份证|身份信息"),
        ("identity", "id_number", "id_copy"),
    ),
    "non-disclosure": (re.compile(r"disclos|如实告知|告知义务", _I), ("disclos",)),
    "coverage period": (
        re.compile(
            r"coverage period|policy period|plan coverage|not in force|lapsed|expired"
            r"|outside (?:that|the|your) (?:coverage )?period|保障期|保险期间|已失效|已满期|满期",
            _I,
        ),
        ("in_force", "coverage"),
    ),
    "diagnosis": (re.compile(r"diagnos|诊断|保障目录", _I), ("diagnosis",)),
    "late notice": (
        re.compile(
            r"late notice|later than usual|reported late|late report|晚报案|较晚|报案较晚", _I
        ),
        ("late_notice", "loss_notice"),
    ),
    "small-claims fast track": (
        re.compile(r"fast[- ]track|small[- ]claims?|小额|快速理赔", _I),
        ("fast_track", "small_claim"),
    ),
    "missing documents": (
        re.compile(
            r"(?<![A-Za-z])documents?(?![A-Za-z])|discharge summary|itemi[sz]ed bill|paperwork"
            r"|材料|出院小结|资料|单据",
            _I,
        ),
        ("document", "supplement", "missing"),
    ),
    "complaint": (re.compile(r"complain|投诉", _I), ("complaint",)),
    "regulator": (re.compile(r"regulator|监管", _I), ("regulator",)),
    "limitation period": (
        re.compile(r"limitation period|statute of limitations|time limit for claims|时效", _I),
        ("limitation",),
    ),
}


@lru_cache(maxsize=8192)
def topics(text: str) -> frozenset[str]:
    """The rule-decided topics ``text`` speaks of (cached: decisions repeat their texts)."""
    return frozenset(name for name, (pattern, _) in _TOPICS.items() if pattern.search(text))


def backed_topics(texts: list[str], keys: list[str]) -> set[str]:
    """Topics the given texts state, or that the given rule ids / fact keys are about."""
    found: set[str] = set()
    for text in dict.fromkeys(texts):
        found |= topics(text)
    for name, (_, hints) in _TOPICS.items():
        if any(h in key for h in hints for key in keys):
            found.add(name)
    return found
