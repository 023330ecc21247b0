"""The claim page over HTTP: every state, plain words, privacy, feedback, the proof download."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from api.cli import main
from api.member_pages.plain import GLOSSARY, JARGON, plain
from tests.api.conftest import Service
from tests.api.member_pages.factories import (
    MEMBER,
    SAMPLES,
    csrf_of,
    make_claim,
    make_signed_in,
    make_state,
    sample,
)

#: The engine's status words and clock statuses: none may show in a Chinese page.
ENGLISH_STATUS = re.compile(
    r"\b(approve|partial|deny|pend|refer|met|breached|not_started|running|due_soon|paused|"
    r"not_applicable|awaiting_\w+|appealed|received|decided|paid|closed)\b"
)
HEADLINES = {
    "approve": "已决定赔付3,648.40元",
    "partial": "已决定赔付",
    "pend": "还差1份材料：出院小结",
    "deny": "这次我们决定不赔",
    "refer": "交给一位理赔人员",
    "paid": "到账",
    "awaiting_approval": "第二位审核人员复核",
    "appealed": "我们已收到您的申诉",
}


def _visible(html: str) -> str:
    """The text a reader sees: no tags, no attribute values, no hidden verifier key."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


def _page(service: Service, claim_id: str) -> str:
    page = service.client.get(f"/m/claims/{claim_id}")
    assert page.status_code == 200, page.text
    return page.text


@pytest.mark.parametrize("state", list(SAMPLES))
def test_each_state_has_its_large_sentence_in_plain_chinese(service: Service, state: str) -> None:
    claim_id = make_state(service, state)
    make_signed_in(service)
    html = _page(service, claim_id)
    headline = re.search(r'<p class="headline">(.*?)</p>', html, flags=re.S)
    assert headline is not None and HEADLINES[state] in headline.group(1)
    assert '<html lang="zh-CN">' in html
    text = _visible(html.split('id="glossary"')[0]) + _visible(html.split("</dl>")[1])
    assert not ENGLISH_STATUS.search(text.replace(claim_id, "")), ENGLISH_STATUS.search(text)
    for term in JARGON:
        assert term not in text, f"{term!r} outside the glossary"
    assert "时效提醒只供人工审核参考" not in html


def test_paid_says_so_only_once_paid(service: Service) -> None:
    approved = make_state(service, "approve")
    paid = make_state(service, "paid")
    make_signed_in(service)
    assert "到账" in _page(service, paid).split('class="headline"')[1][:200]
    assert "已于" not in _page(service, approved).split('class="headline"')[1][:200]
    # nothing contradicts the state: no decision or payment deadline once paid
    assert "最晚这一天" not in _page(service, paid)
    assert "最晚这一天我们告诉您审核结果" not in _page(service, approved)


def test_no_personal_data_and_no_one_elses_name_in_the_html(service: Service) -> None:
    claim = sample("approve")
    claim_id = make_claim(service, claim)
    other = sample("deny") | {"claim_id": "CLM-OTHER-1"}
    other["member"] = other["member"] | {"member_id": "M-2002", "name": "李四"}
    make_claim(service, other)
    make_signed_in(service)
    for html in (_page(service, claim_id), service.client.get("/m/").text):
        person = claim["member"]
        for secret in (person["id_number"], person["phone"], person["bank_card"], "李四"):
            assert secret not in html


def test_another_members_claim_is_a_404_like_a_missing_one(service: Service) -> None:
    make_claim(service, sample("approve"))
    other = sample("deny") | {"claim_id": "CLM-OTHER-1"}
    other["member"] = other["member"] | {"member_id": "M-2002"}
    make_claim(service, other)
    make_signed_in(service)
    theirs = service.client.get("/m/claims/CLM-OTHER-1")
    missing = service.client.get("/m/claims/CLM-NOPE")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.text.replace("CLM-OTHER-1", "X") == missing.text.replace("CLM-NOPE", "X")
    assert service.client.get("/m/claims/CLM-OTHER-1/proof.json").status_code == 404


def test_the_language_switch_is_remembered_and_sets_lang(service: Service) -> None:
    claim_id = make_state(service, "deny")
    make_signed_in(service)
    html = _page(service, claim_id)
    switched = service.client.post(
        "/m/language",
        data={"csrf": csrf_of(html), "lang": "en", "next": f"/m/claims/{claim_id}"},
        follow_redirects=False,
    )
    assert switched.status_code == 303 and switched.headers["location"] == f"/m/claims/{claim_id}"
    english = _page(service, claim_id)
    assert '<html lang="en">' in english
    assert "We are sorry: we have decided not to pay this claim." in english
    assert '<html lang="en">' in service.client.get("/m/").text  # remembered
    assert 'lang="zh-CN"' in english  # the switch back is marked as Chinese
    evil = service.client.post(
        "/m/language", data={"csrf": csrf_of(html), "lang": "zh", "next": "https://evil.example"},
        follow_redirects=False,
    )  # fmt: skip
    assert evil.headers["location"] == "/m/"


def test_pages_forbid_anything_from_elsewhere(service: Service) -> None:
    page = service.client.get("/m/")
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "http://" not in page.text and "https://" not in page.text
    assert "<script>" not in page.text and "style=" not in page.text


def test_feedback_is_audited_redacted_counted_and_shown_to_staff(service: Service) -> None:
    claim = sample("deny")
    claim_id = make_claim(service, claim)
    make_signed_in(service)
    html = _page(service, claim_id)
    comment = f"说明清楚，我的电话是{claim['member']['phone']}"
    sent = service.client.post(
        f"/m/claims/{claim_id}/feedback",
        data={"csrf": csrf_of(html), "clear": "4", "treated_well": "5", "comment": comment},
    )
    assert "谢谢您的评价" in sent.text
    staff = service.client.get(
        f"/claims/{claim_id}/member-feedback", headers=service.auth("adjuster")
    ).json()
    (entry,) = staff["feedback"]
    assert (entry["clear"], entry["treated_well"]) == (4, 5)
    assert claim["member"]["phone"] not in entry["comment"] and "说明清楚" in entry["comment"]
    metrics = service.client.get("/metrics", headers=service.auth("auditor")).text
    assert 'claims_member_feedback_total{question="clear",score="4"} 1.0' in metrics
    bad = service.client.post(
        f"/m/claims/{claim_id}/feedback", data={"csrf": csrf_of(html), "clear": "9"}
    )
    assert "请给两个问题都选一个分数" in bad.text
    nocsrf = service.client.post(
        f"/m/claims/{claim_id}/feedback", data={"clear": "1", "treated_well": "1"}
    )
    assert nocsrf.status_code == 403
    again = service.client.get(
        f"/claims/{claim_id}/member-feedback", headers=service.auth("auditor")
    )
    assert len(again.json()["feedback"]) == 1


def test_the_proof_download_is_accepted_by_claims_audit_verify_proof(
    service: Service, tmp_path: Path
) -> None:
    claim_id = make_state(service, "approve")
    make_signed_in(service)
    html = _page(service, claim_id)
    key = re.search(r'data-key="([^"]+)"', html)
    assert key is not None
    download = service.client.get(f"/m/claims/{claim_id}/proof.json")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    bundle = tmp_path / "proof.json"
    bundle.write_text(download.text, encoding="utf-8")
    keyfile = tmp_path / "audit.pub"
    keyfile.write_text(key.group(1), encoding="utf-8")
    runner = CliRunner()
    ok = runner.invoke(
        main, ["audit", "verify-proof", "--bundle", str(bundle), "--public-key", str(keyfile)]
    )
    assert ok.exit_code == 0, ok.output
    changed = json.loads(download.text)
    changed["events"][0]["event"]["payload"]["decision"]["amounts"]["payable"] = "9999.00"
    bundle.write_text(json.dumps(changed), encoding="utf-8")
    bad = runner.invoke(
        main, ["audit", "verify-proof", "--bundle", str(bundle), "--public-key", str(keyfile)]
    )
    assert bad.exit_code == 1


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            [*"您的申请已核定出险晚报案格式条款责任免除费用补偿型医疗险", "a"]
        ),
        max_size=40,
    )
)
def test_plain_words_never_leave_a_jargon_term(text: str) -> None:
    out = plain(text)
    for term in JARGON:
        assert term not in out


def test_every_glossary_term_is_explained_in_both_languages() -> None:
    for term, zh, en, en_text in GLOSSARY:
        assert term and zh and en and en_text
        assert term not in JARGON or JARGON[term] in zh or "审核决定" in zh


def test_member_is_the_owner_of_every_sample() -> None:
    assert {sample(s)["member"]["member_id"] for s in SAMPLES} == {MEMBER}
