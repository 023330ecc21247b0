"""Plain words for older members: the terms a claim letter uses and what the page says instead.

:data:`JARGON` maps each insurance term a 70-year-old should not have to decode to the words
the page uses for it; :func:`plain` rewrites any text shown to a member (reasons and rights
reminders come from the rulesets and the rights base, written for accuracy, not for ease).
:data:`GLOSSARY` explains the few terms that cannot be avoided; it is the only part of a page
where a jargon term may stand (tests/api/member_pages/test_plain_language.py).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["GLOSSARY", "JARGON", "plain"]

#: Term -> plain words, longest terms first so that a longer term is replaced whole.
JARGON: Mapping[str, str] = {
    "费用补偿型医疗险": "按实际花费报销的医疗保险",
    "费用补偿型": "按实际花费报销的",
    "格式条款": "保险合同里事先印好的条款",
    "责任免除": "合同写明不赔的情况",
    "晚报案": "晚通知我们",
    "未及时报案": "没有及时通知我们",
    "报案": "通知我们",
    "出险": "生病或出事",
    "核定": "审核决定",
    "理算": "计算",
    "拒赔": "不赔",
    "既往症": "投保前已有的疾病",
    "免责": "不赔",
}

#: (term, zh, en) for the terms the page cannot avoid.
GLOSSARY: tuple[tuple[str, str, str, str], ...] = (
    (
        "免赔额",
        "每年先由您自己承担的一笔钱，超过这笔钱的部分我们才开始赔。",
        "Deductible",
        "The amount you pay yourself each year before we start to pay.",
    ),
    (
        "自付比例",
        "超过免赔额以后，每笔费用里仍由您自己承担的那一部分（按百分比算）。",
        "Your share",
        "After the deductible, the part of each cost (a percentage) you still pay yourself.",
    ),
    (
        "等待期",
        "保险开始后的一段日子，这段时间里生的病不赔。",
        "Waiting period",
        "The first days after the insurance starts; illness that begins in them is not covered.",
    ),
    (
        "人工复查",
        "由一位理赔人员（一个人，不是电脑）重新看一遍您的申请。",
        "Review by a person",
        "A claims handler, a person and not a computer, looks at your claim again.",
    ),
    (
        "核定",
        "保险公司审核以后作出的决定。本页写作“审核决定”。",
        "Determination",
        "The decision the insurer makes after checking a claim.",
    ),
)


def plain(text: str) -> str:
    """``text`` with every jargon term replaced by its plain words (zh text only changes)."""
    for term, words in JARGON.items():
        text = text.replace(term, words)
    return text
