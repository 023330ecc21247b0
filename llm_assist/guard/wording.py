"""What a sentence asserts: an outcome stance, or instructions to a model.

Stances. A fixed zh and en lexicon reads phrases as a stance on the claim (``PAY``,
``REFUSE``, ``HOLD`` ...). Each clause is read on its own: a stance phrase preceded in its
clause by a negation (``not``, ``never``, 不, 未 ...) flips (``not approved`` refuses) or
dissolves (``not a refusal`` says nothing about payment, and is not read as approval). What
follows a condition in its clause (``if``, ``whether``, 如果, 是否 ...) asserts nothing, nor
does a whole sentence opened by one ("If we decline, we explain why in writing"). Longer
phrases win over the phrases they contain (``未获赔付`` over ``获赔``).

Known limits (deliberate, for precision on honest drafts): a negated refusal ("the claim was
not denied") asserts nothing rather than approval, and a sentence opened by "if" is never
read as a stance; the injection and topic checks still read such sentences.

Injection. Role labels (``SYSTEM:``), "ignore previous instructions", "as instructed" and a
first-person decision ("I approve", "我批准", "批准此案") are never part of a review note:
a note echoes a decision, it never makes one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "STANCE_WORDS",
    "Stance",
    "StanceHit",
    "clauses",
    "hypothetical",
    "injections",
    "sentences",
    "stances",
]

Stance = Literal[
    "PAY", "FULL_PAY", "PARTIAL", "REFUSE", "FULL_REFUSE", "NO_PAY", "HOLD", "REFER", "FINAL"
]
STANCE_WORDS: dict[Stance, str] = {
    "PAY": "approval or payment",
    "FULL_PAY": "payment in full",
    "PARTIAL": "partial payment",
    "REFUSE": "refusal",
    "FULL_REFUSE": "refusal of the whole claim",
    "NO_PAY": "no payment",
    "HOLD": "a claim on hold",
    "REFER": "a referral to a person",
    "FINAL": "a closed or final case",
}
# What a negation turns a stance into (None: the clause no longer asserts a stance).
_NEGATED: dict[Stance, Stance | None] = {
    "PAY": "REFUSE",
    "FULL_PAY": "PARTIAL",
    "PARTIAL": None,
    "REFUSE": None,
    "FULL_REFUSE": None,
    "NO_PAY": None,
    "HOLD": None,
    "REFER": None,
    "FINAL": None,
}
_I = re.IGNORECASE


def _en(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![A-Za-z])(?:{pattern})(?![A-Za-z])", _I)


_LEXICON: tuple[tuple[Stance, re.Pattern[str]], ...] = (
    # English
    (
        "FULL_REFUSE",
        _en(
            r"claims? (?:is|was|has been|have been|will be|are|gets?|got) "
            r"(?:fully |entirely |wholly )?(?:denied|rejected|declined|refused)"
            r"|(?:deny|denies|reject|rejects|decline|declines|refuse|refuses) (?:this|the|your) "
            r"(?:whole |entire )?claim|denied in full|rejected in full"
        ),
    ),
    (
        "NO_PAY",
        _en(
            r"nothing (?:is|will be|was|can be) (?:paid|payable)"
            r"|no payment (?:is|will be|was) (?:made|due)"
        ),
    ),
    (
        "FULL_PAY",
        _en(
            r"(?:(?:will|shall) be |is |are |was |been )?paid in full"
            r"|pa(?:y|ys|ying|id) (?:it |the claim |this claim |everything )?in full|full payment"
            r"|(?:approved|covered|reimbursed|settled) in full"
            r"|fully (?:approved|paid|covered|reimbursed)"
            r"|(?:the|this|your) (?:whole |entire )?claim (?:is|was|has been|will be) "
            r"(?:approved|paid)"
            r"|(?:whole|entire) claim (?:is |was |has been |will be )?(?:approved|paid)"
        ),
    ),
    (
        "PARTIAL",
        _en(
            r"(?:is |are |was |will )?not (?:be )?(?:paid in full|fully (?:paid|covered))"
            r"|partial(?:ly)? (?:approved|paid|payment|approval)|part(?:ly)? (?:approved|paid)"
            r"|part of (?:your|the|this) claim"
        ),
    ),
    (
        "REFUSE",
        _en(
            r"denied|denial|deny|denies|rejected|reject|rejects|declined|decline|declines|refused"
            r"|refuse|refuses|refusal|cannot (?:be )?pa(?:y|id)|can ?not pay|unable to pay"
            r"|will not (?:be )?pa(?:y|id)|won't (?:be )?pa(?:y|id)|not (?:be )?payable|not covered"
            r"|(?:is|are|was|were) not paid|pays? nothing|no benefit is payable"
        ),
    ),
    (
        "PAY",
        _en(
            r"approved|approve|approves|will be paid|has been paid|have been paid"
            r"|is payable|are payable|(?:we|they|the plan|the insurer) will pay"
        ),
    ),
    (
        "HOLD",
        _en(
            r"on hold|held until|pending (?:documents?|information|further|receipt|supplement"
            r"|review|the member|the claimant)"
            r"|awaiting (?:documents?|information|the member|the claimant)"
            r"|not yet (?:been )?decided|has not been decided|undecided"
        ),
    ),
    (
        "REFER",
        _en(
            r"referred|passed to a (?:claims )?handler|escalated to (?:a )?(?:person|human|handler)"
        ),
    ),
    (
        "FINAL",
        _en(
            r"final decision|decision is final|finally decided"
            r"|(?:case|claim) (?:is |has been )?closed|closed the (?:case|claim)"
        ),
    ),
    # Chinese
    (
        "FULL_REFUSE",
        re.compile(
            r"拒赔|拒绝(?:本次)?(?:赔付|理赔)|(?:本次|整个|全部|整体|本案)(?:理赔)?(?:均)?不予(?:赔付|理赔|支付)"
            r"|理赔(?:申请)?(?:已)?被(?:拒绝|驳回|拒)|驳回(?:本次)?(?:理赔|申请)"
        ),
    ),
    ("NO_PAY", re.compile(r"暂不(?:赔付|支付)|无需支付|不支付任何")),
    (
        "FULL_PAY",
        re.compile(
            r"全额(?:赔付|支付|给付|赔偿)|全部(?:赔付|给付|获赔)|足额(?:赔付|支付)"
            r"|(?:理赔申请|本次理赔|整个理赔|本案)(?:已|已经)?(?:获(?:得)?赔付|获批|通过审核|予以赔付)"
        ),
    ),
    ("PARTIAL", re.compile(r"部分(?:赔付|获赔|给付|赔偿|同意|批准|支付)")),
    (
        "REFUSE",
        re.compile(
            r"不予(?:赔付|理赔|支付|给付|赔偿)|未获(?:赔付|赔偿)|不能(?:重复)?(?:赔付|支付|理赔)"
            r"|无法(?:赔付|支付|理赔)|不赔|不(?:在|属于)保障范围|拒付|拒绝"
        ),
    ),
    (
        "PAY",
        re.compile(
            r"已获赔付|同意赔付|予以赔付|准予赔付|获赔|同意理赔|已赔付|理赔通过|审核通过"
            r"|批准(?:赔付|理赔|此案|该案|本案|申请)"
        ),
    ),
    ("HOLD", re.compile(r"暂缓|挂起|待补充|暂停处理|尚未作出(?:决定|核定)|还需要补充")),
    ("REFER", re.compile(r"转人工|转交(?:理赔人员|人工|专员)|移交人工")),
    ("FINAL", re.compile(r"最终(?:决定|结果|核定)|已结案|结案|终局")),
)

_CONDITION_EN = re.compile(
    r"(?<![A-Za-z])(?:if|unless|whether|in case|once|should you)(?![A-Za-z])", _I
)
_CONDITION_ZH = re.compile(r"如果|(?<![例比])如(?![实下此今同])|若|假如|倘若|一旦|是否")
_OPENING_CONDITION = re.compile(
    r"(?:if|unless|whether|once|in case|should)(?![A-Za-z])|如果|如(?![实下此今同])|若|假如"
    r"|倘若|一旦",
    _I,
)
_NEGATION_EN = re.compile(r"^(?:not|never|no|cannot|nor|neither|without|hardly)$|n't$", _I)
_RESET_EN = re.compile(r"^(?:and|but|so|because|therefore|thus|then)$", _I)
_NEGATION_ZH = re.compile(r"[不未没无非勿别]")
_EN_WINDOW = 8
_ZH_WINDOW = 8
_SENTENCE_END = re.compile(r"[。！？!?\n]+|\.(?=\s|$)")
_CLAUSE_END = re.compile(r"[，；;：、]|,(?=\s)|:(?=\s)")
_WORD = re.compile(r"[A-Za-z']+")


@dataclass(frozen=True)
class StanceHit:
    stance: Stance
    phrase: str


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def clauses(sentence: str) -> list[str]:
    return [c.strip() for c in _CLAUSE_END.split(sentence) if c.strip()]


def hypothetical(sentence: str) -> bool:
    """A sentence opened by a condition ("If we decline, we explain why in writing") asserts
    neither of its parts about this claim."""
    return bool(_OPENING_CONDITION.match(sentence.lstrip()))


def stances(clause: str) -> list[StanceHit]:
    """The stances one clause asserts (module docstring), in order."""
    matches = sorted(
        (
            (m.start(), m.end(), stance)
            for stance, pattern in _LEXICON
            for m in pattern.finditer(clause)
        ),
        key=lambda item: (item[0], item[0] - item[1]),
    )
    taken: list[tuple[int, int, Stance]] = []
    for start, end, stance in matches:
        if not taken or start >= taken[-1][1]:
            taken.append((start, end, stance))
    out: list[StanceHit] = []
    for start, end, stance in taken:
        before = clause[:start]
        if _CONDITION_EN.search(before) or _CONDITION_ZH.search(before):
            continue
        read: Stance | None = _NEGATED[stance] if _negated(before) else stance
        if read is not None:
            out.append(StanceHit(read, clause[start:end]))
    return out


def _negated(before: str) -> bool:
    if _NEGATION_ZH.search(before[-_ZH_WINDOW:]):
        return True
    words = _WORD.findall(before)[-_EN_WINDOW:]
    for word in reversed(words):
        if _RESET_EN.match(word):
            return False
        if _NEGATION_EN.search(word):
            return True
    return False


# ------------------------------------------------------------------------------- injection

_INJECTIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "an instruction to ignore instructions",
        re.compile(
            r"(?<![A-Za-z])(?:ignore|disregard|forget)(?![A-Za-z])[^.。\n]{0,40}"
            r"(?:instructions?|prompts?|rules|guidelines|system message)"
            r"|(?:忽略|无视|忘记|忘掉|不要理会)[^。\n]{0,15}(?:指令|指示|提示|规则|要求|说明)",
            _I,
        ),
    ),
    (
        "a chat role label",
        re.compile(
            r"(?:^|[\s\[<(（【\"'])(?:system|assistant|developer)\s*[:：\]>】]"
            r"|(?:系统|系统提示|系统指令|助手)\s*[:：]"
            r"|<\|?(?:im_start|im_end|system|endoftext)\|?>|<<\s*sys\s*>>|\[/?inst\]"
            r"|#{2,}\s*(?:instruction|system)",
            _I,
        ),
    ),
    (
        "obedience to instructions",
        re.compile(
            r"(?<![A-Za-z])as (?:you (?:were |have been )?)?instructed(?![A-Za-z])"
            r"|(?<![A-Za-z])per (?:your|the) instructions(?![A-Za-z])"
            r"|(?<![A-Za-z])new instructions?(?![A-Za-z])|developer mode|jailbreak"
            r"|按(?:照)?(?:指示|指令)|遵照(?:指示|指令)|根据(?:指示|指令)|新(?:的)?指令|最高优先级",
            _I,
        ),
    ),
    (
        "a decision made by the writer",
        re.compile(
            r"(?<![A-Za-z])I\s+(?:hereby\s+|have\s+|will\s+|now\s+|also\s+)?(?:approve|approved|deny"
            r"|denied|reject|rejected|authori[sz]e|authori[sz]ed|override|overrode|overturn"
            r"|overturned|grant|granted|decide|decided)(?![A-Za-z])"
            r"|(?:^|[.!?]\s*|(?<![A-Za-z])(?:please|must|now|should)\s+)(?:approve|deny|reject|pay)"
            r" (?:this|the) claim"
            r"|我(?:已|现|现在|特此|决定)?(?:批准|核准|同意赔付|拒绝赔付|驳回|推翻|改判)"
            r"|批准(?:此案|该案|本案|这个案件|这笔|该理赔|此理赔|本次理赔)|(?:请|直接|立即)(?:批准|赔付|通过)",
            _I,
        ),
    ),
)


def injections(text: str) -> Iterator[str]:
    """A label for each kind of instruction-like text in ``text`` (never the text itself)."""
    for label, pattern in _INJECTIONS:
        if pattern.search(text):
            yield label
