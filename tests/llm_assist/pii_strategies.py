"""Hypothesis strategies for personal data, and claims with personal data planted everywhere.

Reused by the redaction tests and by the drafting tests (a fake model must never see any
planted value in its prompt). Values come in the shapes people actually write: grouped,
prefixed, full-width, lower-case ``x``, checksum-valid and invalid.

Names are drawn from lists of characters and words that do not occur in the engine's own
texts (``理``, ``Ann`` would match ``理赔``, ``annual``), so "the planted value is absent from
the prompt" is a sharp check.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from engine.claim import Claim, id_check_digit, load_claim, luhn_valid

REFERENCE_CLAIM = Path(__file__).resolve().parents[2] / "examples" / "claim.json"

_FULLWIDTH = str.maketrans("0123456789+-()", "０１２３４５６７８９＋－（）")
_SURNAMES = [
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "赵",
    "黄",
    "周",
    "吴",
    "徐",
    "孙",
    "朱",
    "欧阳",
    "司马",
]
_GIVEN = list("伟芳娜敏静秀丽强磊洋艳勇杰娟涛霞桂英玉萍燕鹏辉玲丹萱浩宇轩梓涵晨欣怡")
_FIRST = ["Oliver", "Amelia", "Marcus", "Beatrix", "Tobias", "Harriet", "Lucian", "Imogen"]
_LAST = ["Whitfield", "Okonkwo", "Lindqvist", "Castellanos", "Abernathy", "Fairbanks"]
_CJK_BEFORE = ["", "电话", "请联系", "卡号：", "身份证号", "患者", "邮箱", "（", " "]
_CJK_AFTER = ["", "请回电", "。", "，谢谢", "）", " "]
_JOINERS = ["；", "，", " ", "\n", "、"]
ADDRESSES = [
    "浙江省杭州市西湖区文三路100号3栋2单元501室",
    "北京市朝阳区建国路88号",
    "12 Main Street, Apt 4B",
]


@st.composite
def id_numbers(draw: st.DrawFn, valid: bool | None = None) -> str:
    """18-character PRC ID numbers; ``valid`` picks the GB 11643 check digit (None: either)."""
    region = draw(st.integers(110000, 659999))
    birth = draw(st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2020, 12, 31)))
    seq = draw(st.integers(0, 999))
    prefix = f"{region:06d}{birth:%Y%m%d}{seq:03d}"
    right = id_check_digit(prefix)
    is_valid = draw(st.booleans()) if valid is None else valid
    check = right if is_valid else draw(st.sampled_from([c for c in "0123456789X" if c != right]))
    if check == "X" and draw(st.booleans()):
        check = "x"
    number = prefix + check
    if draw(st.integers(0, 5)) == 0:
        number = f"{number[:6]} {number[6:14]} {number[14:]}"
    return number


@st.composite
def phones(draw: st.DrawFn) -> str:
    """CN mobiles (optionally +86 / 0086, grouped), CN landlines, US and other international."""
    kind = draw(st.sampled_from(["mobile", "mobile", "landline", "us", "intl"]))
    if kind == "mobile":
        body = f"1{draw(st.sampled_from('3456789'))}{draw(st.integers(0, 999_999_999)):09d}"
        body = draw(
            st.sampled_from(
                [body, f"{body[:3]} {body[3:7]} {body[7:]}", f"{body[:3]}-{body[3:7]}-{body[7:]}"]
            )
        )
        phone = draw(st.sampled_from(["", "+86 ", "+86", "0086-"])) + body
    elif kind == "landline":
        area = draw(st.sampled_from(["010", "021", "0571", "0755", "020"]))
        number = str(draw(st.integers(20_000_000, 89_999_999)))
        phone = draw(
            st.sampled_from(
                [f"{area}-{number}", f"{area} {number[:4]} {number[4:]}", f"({area}){number}"]
            )
        )
    elif kind == "us":
        npa, exchange = draw(st.integers(201, 989)), draw(st.integers(201, 989))
        line = draw(st.integers(0, 9999))
        phone = draw(
            st.sampled_from(
                [
                    f"({npa}) {exchange}-{line:04d}",
                    f"{npa}-{exchange}-{line:04d}",
                    f"+1 {npa} {exchange} {line:04d}",
                ]
            )
        )
    else:
        country = draw(st.sampled_from(["44", "49", "33", "81", "61"]))
        groups = [
            draw(st.integers(10, 99)),
            draw(st.integers(1000, 9999)),
            draw(st.integers(1000, 9999)),
        ]
        phone = f"+{country} " + " ".join(map(str, groups))
    return phone.translate(_FULLWIDTH) if draw(st.integers(0, 6)) == 0 else phone


@st.composite
def cards(draw: st.DrawFn, valid: bool | None = None) -> str:
    """16 or 19-digit bank cards (UnionPay, Visa, Mastercard prefixes), Luhn-valid or not."""
    length = draw(st.sampled_from([16, 19]))
    prefix = draw(st.sampled_from(["622202", "621700", "4", "51", "62"]))
    body = prefix + "".join(str(draw(st.integers(0, 9))) for _ in range(length - len(prefix) - 1))
    last = next(d for d in "0123456789" if luhn_valid(body + d))
    is_valid = draw(st.booleans()) if valid is None else valid
    number = body + (last if is_valid else str((int(last) + draw(st.integers(1, 9))) % 10))
    style = draw(st.integers(0, 4))
    if style == 1:
        number = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    elif style == 2:
        number = "-".join(number[i : i + 4] for i in range(0, len(number), 4))
    elif style == 3:
        number = number.translate(_FULLWIDTH)
    return number


def emails() -> st.SearchStrategy[str]:
    local = st.from_regex(r"[a-z][a-z0-9._]{0,10}[a-z0-9]", fullmatch=True).filter(
        lambda s: ".." not in s
    )
    domain = st.from_regex(r"[a-z]{2,10}", fullmatch=True)
    tld = st.sampled_from(["com", "cn", "org", "net", "com.cn"])
    return st.builds(lambda a, b, c: f"{a}@{b}.{c}", local, domain, tld)


def chinese_names() -> st.SearchStrategy[str]:
    given = st.lists(st.sampled_from(_GIVEN), min_size=1, max_size=2).map("".join)
    return st.builds(lambda s, g: s + g, st.sampled_from(_SURNAMES), given)


def latin_names() -> st.SearchStrategy[str]:
    return st.builds(
        lambda first, last: f"{first} {last}", st.sampled_from(_FIRST), st.sampled_from(_LAST)
    )


@st.composite
def _in_text(draw: st.DrawFn, value: str) -> str:
    """``value`` alone or with Chinese words around it (no spaces in Chinese text)."""
    return draw(st.sampled_from(_CJK_BEFORE)) + value + draw(st.sampled_from(_CJK_AFTER))


def _segment(draw: st.DrawFn, planted: list[str], values: list[str]) -> str:
    planted += values
    joiner = draw(st.sampled_from(_JOINERS))
    return joiner.join(draw(_in_text(v)) for v in values)


@st.composite
def claims_with_planted_pii(draw: st.DrawFn) -> tuple[Claim, list[str]]:
    """The reference claim with personal data in every free-text field, and what was planted.

    ``member.name`` is the planted name; the description, several events' detail strings and
    nested lists/dicts inside detail carry IDs (valid and invalid), phones, cards, e-mails,
    the name and an address (under an ``address`` key, and again in the description).
    """
    data: dict[str, Any] = json.loads(REFERENCE_CLAIM.read_text(encoding="utf-8"))
    planted: list[str] = []
    name = draw(st.one_of(chinese_names(), latin_names()))
    id_number = draw(id_numbers()).replace(" ", "")
    phone, card = draw(phones()), draw(cards())
    address = draw(st.sampled_from(ADDRESSES))
    member = data["member"]
    member.update(name=name, id_number=id_number, phone=phone, bank_card=card)
    planted += [name, id_number, phone, card]

    def mixed(n: int) -> list[str]:
        values = [
            draw(s) for s in (id_numbers(True), id_numbers(False), phones(), cards(), emails())
        ]
        return draw(st.permutations([*values, name]))[:n]

    data["incident"]["description"] = "急性阑尾炎住院手术。" + _segment(
        draw, planted, [*mixed(4), f"住址{address}"]
    )
    planted.append(address)
    events = data["events"]
    events[0]["detail"] = {
        "note": _segment(draw, planted, mixed(3)),
        "home_address": address,
        "contacts": [
            _segment(draw, planted, mixed(2)),
            {"phone": _segment(draw, planted, mixed(1))},
        ],
    }
    events[1]["detail"] = {
        "nested": {"deep": [[_segment(draw, planted, mixed(2))], 42, None, True]}
    }
    events[2]["detail"]["remark"] = _segment(draw, planted, [id_number, phone, card, name])
    events[3]["detail"] = {"by": name, "email": draw(emails())}
    planted.append(events[3]["detail"]["email"])
    return load_claim(data), planted
