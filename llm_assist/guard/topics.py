"""What a text is about: the claim-domain topics a drafter's words raise, and which the
decision's own statements support.

A topic is a named set of zh/en terms (waiting period, exclusion, provider network, duplicate
invoice, fraud, documents...). A drafter's words may raise a topic only where the system's own
text for that part of the note raises it too: a finding's comment, its rule's statement and id
(so a finding on ``late_notice`` cannot talk about the waiting period, and one on
``provider_not_designated`` cannot be written at all unless that rule applied); the summary
and next steps, the statements of the rules the decision applied, its notices and its pressing
clocks; missing information, the outstanding documents and the pending reasons.

Why topics are found in the system's text instead of being tied to rule ids: rulesets name
their rules freely, and the statement a rule produced for this claim is the one thing that
says what the rule was about here. The lists are domain vocabulary, not guesses of what a
model might write; a paraphrase in words none of them holds is not seen (README: what the
guard cannot catch).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["DOCUMENT_TOPICS", "TOPICS", "topics"]


def _terms(zh: str, en: str) -> re.Pattern[str]:
    parts = [re.escape(t) for t in zh.split()]
    parts += [rf"\b{t}" for t in en.split("|") if t]
    return re.compile("|".join(parts), re.IGNORECASE)


_IN = r"(?:in|inside|within|during)\s+(?:the\s+)?(?:\S+\s+)?"
TOPICS: Mapping[str, re.Pattern[str]] = {
    "waiting period": _terms(
        "等待期内 等待期之内 在等待期 观察期内",
        rf"{_IN}waiting[\s\-]?periods?|waiting[\s\-]period rule",
    ),
    "accident": _terms("意外", r"accident"),
    "exclusion": _terms("除外 免除 免责 责任免除", r"exclu"),
    "dental": _terms("牙", r"dental|dentist|tooth|teeth"),
    "cosmetic": _terms("美容 整形 医美", r"cosmetic|aesthetic|plastic surgery"),
    "exclusion explained at sale": _terms(
        "投保时 明确说明 未说明 提示说明",
        r"explained at sale|at sale|when (?:it was|they were) sold|pointed out",
    ),
    "provider network": _terms(
        "指定医院 定点 指定名单 指定的医院 网络内 网络外 医院名单",
        r"designated|network|in-network|out-of-network|approved provider|provider list",
    ),
    "duplicate": _terms(
        "重复 已报销过 已经报销 已使用过 其他案件 其他理赔 已理赔过",
        r"duplicat|already claimed|claimed before|earlier invoice|used before|twice claimed",
    ),
    "policy not in force": _terms(
        "失效 停效 脱保 保单有效期 未生效 已终止 保单终止",
        r"laps|in force|expired polic|not in force|terminated",
    ),
    "identity": _terms("身份证 身份 证件号", r"identity|id number|id card|identification"),
    "fraud": _terms("欺诈 骗保 可疑 造假 虚假", r"fraud|suspicious|suspect|fake|forg"),
    "nondisclosure": _terms(
        "如实告知 既往症 带病投保 未告知 隐瞒", r"disclos|pre-existing|preexisting|concealed"
    ),
    "annual limit": _terms("年度限额 限额 额度 封顶", r"limit|cap\b"),
    "deductible": _terms("免赔 起付", r"deductible|excess"),
    "coinsurance": _terms(
        "共付 自付比例 赔付比例 给付比例", r"coinsurance|co-insurance|co-pay|copay"
    ),
    "large claim soon after the start": _terms(
        "金额较大 大额 生效后不久 生效不久 刚生效 距保单生效 保单生效后",
        r"large (?:claim|amount|sum)|soon after (?:the )?(?:policy|start|inception)|shortly after|"
        r"just after (?:the )?(?:policy|start)|close to the start|early in the policy",
    ),
    "late notice": _terms("较晚 晚报 迟报 报案晚 晚于 延迟报案 报案较", r"late|delay"),
    "limitation period": _terms("时效", r"limitation|time-barred|statute"),
    "diagnosis outside schedule": _terms(
        "诊断不在 目录外 不在目录 保障目录", r"schedule|outside the list"
    ),
    "outlier": _terms("远高于 异常高 明显偏高", r"outlier|far more than usual|unusually high"),
}
DOCUMENT_TOPICS: Mapping[str, re.Pattern[str]] = {
    "discharge summary": _terms("出院小结 出院记录", r"discharge summar"),
    "id copy": _terms("身份证复印件 身份证明", r"id copy|copy of (?:the|their|his|her) id"),
    "itemised bill": _terms(
        "费用清单 费用明细 明细清单 清单", r"itemi[sz]ed bill|itemi[sz]ed list"
    ),
    "invoice": _terms("发票", r"invoice"),
    "claim form": _terms("申请书 理赔申请表", r"claim form"),
    "medical records": _terms("病历 就诊记录", r"medical record"),
}
_ID_WORDS = re.compile(r"[a-z]+")


def topics(text: str, *, documents: bool = False) -> frozenset[str]:
    """The topics ``text`` raises (document topics too when ``documents``); rule and code
    ids such as ``waiting_period`` count with their words."""
    readable = text.replace("_", " ")
    table = {**TOPICS, **DOCUMENT_TOPICS} if documents else TOPICS
    return frozenset(name for name, pattern in table.items() if pattern.search(readable))
