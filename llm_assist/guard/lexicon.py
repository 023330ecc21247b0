"""Word families a drafter's own words must not contain, in Chinese and English (recall first).

``OUTCOME``: decision or payment meaning. Every outcome and every payment reaches a note
through a slot (``{outcome}``, ``{action}``, ``{payable}``...), so any of these words in the
drafter's own words is a violation, whatever it says: "will be reimbursed", "不能报销", "the
claim was not denied" and "settle this file with a payout" are all stopped by the same rule,
with no need to tell a contradiction from an agreement. Stems match word beginnings in
English (``reimburs`` matches "reimbursed"); Chinese entries match anywhere, with the few
compounds that carry no payment meaning masked first (理赔人员 is a claims handler, 条款 a
clause).

``STATUS``: an SLA clock's status in words ("overdue", "超期"); statuses come from
``{status:CLOCK}``.

``DISPUTE``: words that call a figure or a result wrong or swap it ("mistake", "instead of",
"有误", "为准"): never needed around a slot.

``NEGATION``: negation; a sentence that holds a slot may not carry one in the drafter's words
("It is not true that {outcome}", "并非{outcome}").

``INSTRUCTION``: instruction-like text: role labels, "ignore previous instructions", claimed
authority, markup, requests to change or mark the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["DISPUTE", "INSTRUCTION", "NEGATION", "OUTCOME", "STATUS", "Family", "hits"]


@dataclass(frozen=True)
class Family:
    """A word family: an English pattern (on lower-case text) and a Chinese one."""

    name: str
    en: re.Pattern[str]
    zh: re.Pattern[str]
    zh_masks: re.Pattern[str] | None = None


def _en(stems: str, phrases: str = "") -> re.Pattern[str]:
    """Stems match at a word start and run to the word's end; phrases match whole words."""
    parts = [rf"\b{re.escape(s)}[a-z]*" for s in stems.split()]
    # a phrase ending in punctuation ("system:") needs no word boundary after it
    parts += [rf"\b(?:{p})(?:(?<![a-z0-9])|(?![a-z0-9]))" for p in _split(phrases)]
    return re.compile("|".join(parts))


def _split(phrases: str) -> list[str]:
    """Top-level alternatives of a regex (a ``|`` inside parentheses stays)."""
    out, depth, current = [], 0, ""
    for char in phrases:
        depth += (char == "(") - (char == ")")
        if char == "|" and depth == 0:
            out.append(current)
            current = ""
        else:
            current += char
    return [p for p in [*out, current] if p]


def _zh(words: str) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(w) for w in words.split()))


OUTCOME = Family(
    "decision or payment",
    _en(
        # payment
        "pay reimburs refund repay remit remittanc disburs compensat indemni settl payout "
        "cover money fund cash owe owing releas honour honor transfer wire "
        # decision
        "approv grant accept allow disallow deny deni declin reject refus overturn overrid "
        "revers rescind revok revoc withdr upheld uphold waiv favour favor verdict",
        r"in full|full (?:\w+ )?amount|(?:go|goes|went|going) to the member|"
        r"go(?:es)? through|went through|pick(?:s|ed)? up (?:the|these|this|"
        r"those|all) (?:bills?|tab|costs?)|foot(?:s|ed)? the bill|get(?:s|ting)? (?:\w+ )?back|"
        r"got (?:\w+ )?back|(?:go|goes|went|gone) (?:their|his|her|the member's) way|"
        r"on (?:its|their) way|bank account|paid",
    ),
    _zh(
        "赔 付 报销 承担 款 钱 资金 现金 给付 补偿 退还 退款 到账 转账 汇款 全额 足额 保障范围 "
        "拒 驳回 不予 予以 准予 批准 核准 通过 同意 否决 撤销 推翻 反转 结案 通融 放行"
    ),
    # 理赔 (claims handling) is payment only when money follows it; 条款 is a clause;
    # 款 in 款式 is a style.
    re.compile(r"理赔(?![款金])|条款|款式"),
)
STATUS = Family(
    "deadline status",
    _en(
        "overdu breach expir lapse",
        r"past due|due soon|missed (?:the|a|its|their) deadline|in (?:good )?time|on time|"
        r"within (?:the|its|their) deadline|before (?:the|its) deadline|after (?:the|its) deadline|"
        r"late for (?:the|its) deadline|paused|suspended",
    ),
    _zh("超期 逾期 过期 届满 到期 超时 按时 准时 期限内 期限之内 暂停 中止 已满足"),
)
DISPUTE = Family(
    "dispute of a figure or result",
    _en(
        "mistak wrong incorrect erroneous inaccurat error",
        r"instead of|instead|rather than|in place of|not right",
    ),
    _zh("有误 错误 错了 不对 不正确 为准 改为 改成 应为 而不是 搞错 弄错 更正 纠正"),
)
NEGATION = Family(
    "negation",
    re.compile(r"\b(?:not|no|never|none|nothing|neither|nor|cannot|without)\b|n't\b"),
    _zh("不 没 未 无 非 否 别 勿 莫"),
    re.compile("分别|特别|区别|类别|级别|识别|鉴别|差别"),
)
INSTRUCTION = Family(
    "instruction",
    _en(
        "ignor disregard bypass circumvent jailbreak authoris authoriz",
        r"system\s*:|assistant\s*:|user\s*:|developer\s*:|instructions?|prompt|rules engine|"
        r"the guard|as the (?:supervisor|manager|adjuster|administrator|admin)|"
        r"mark (?:it|this|the (?:file|claim)) as|update the status|change the status|"
        r"set the status|status to|in the system|forget (?:the|all|previous|everything)|flip|"
        r"reopen|lift the limit",
    ),
    _zh(
        "忽略 无视 不要理会 指令 系统提示 提示词 管理员 授权 修改 更改 改为 改成 状态改 "
        "规则引擎 越过 绕过"
    ),
)


def hits(family: Family, words: str) -> Iterator[str]:
    """The phrases of ``family`` in ``words`` (the drafter's own text), in order."""
    lower = words.lower()
    for match in family.en.finditer(lower):
        yield match.group()
    masked = words if family.zh_masks is None else family.zh_masks.sub(_blank, words)
    for match in family.zh.finditer(masked):
        yield match.group()


def _blank(match: re.Match[str]) -> str:
    return "\u3000" * len(match.group())
