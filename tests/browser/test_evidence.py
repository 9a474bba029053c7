"""Recognition of prior learning in a real browser: Aino submits evidence with a file from
her path, Riikka (an assessor) opens the queue, reads it and accepts; the badge issued
carries the evidence and verifies with ``badgeservice credentials verify`` against the live
server. The pages pass axe-core in Finnish, Swedish and English; screenshots in fi and en."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ORG, Site, verify_with_cli
from tests.browser.test_pages import Watch, check, sign_in_at_provider
from tests.live import http

pytestmark = pytest.mark.browser

STEP = "AI in teaching"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _signed_in(site: Site, new_context: Any, login: str, language: str, path: str) -> Any:
    page = new_context(language).new_page()
    watch = Watch(page)
    page.goto(f"{site.base}/o/{ORG}{path}")
    sign_in_at_provider(page, site, login)
    assert page.url == f"{site.base}/o/{ORG}{path}"
    return page, watch


def _evidence_link(page: Any) -> Any:
    return page.locator("a[href*='/path/evidence/']", has_text=STEP).first


def test_evidence_flow_from_learner_to_assessor_to_a_verified_badge(
    site: Site, new_context: Any, tmp_path: Path
) -> None:
    page, watch = _signed_in(site, new_context, "aino", "en", "/path")
    _evidence_link(page).click()
    check(page, watch, "evidence-form", "en")
    page.fill("#narrative", "I designed AI-assisted feedback for my Swedish course.")
    page.fill("#url", "https://portfolio.example.org/aino/ai")
    evidence = tmp_path / "plan.pdf"
    evidence.write_bytes(PDF)
    page.set_input_files("#files", str(evidence))
    page.locator("button[type=submit]", has_text="Submit for assessment").click()
    page.wait_for_url(f"{site.base}/o/{ORG}/path?submitted=1")
    assert page.locator(".notice-ok").is_visible()
    check(page, watch, "my-path-evidence", "en")

    assessor, watch = _signed_in(site, new_context, "riikka", "en", "/assess")
    check(assessor, watch, "assess-queue", "en")
    assessor.locator("table a", has_text="Aino Virtanen").first.click()
    check(assessor, watch, "assess-claim", "en")
    assert assessor.locator("a[download]", has_text="plan.pdf").count() == 1
    assessor.fill("#reason", "The feedback design meets the criteria.")
    assessor.locator("button[value=accept]").click()
    assessor.wait_for_url(f"{site.base}/o/{ORG}/assess?decided=accept")

    status, body = http("GET", f"{site.base}/api/v1/credentials?person=E1003", token=site.token)
    assert status == 200, body
    with_evidence = [c for c in body["items"] if c["credential"].get("evidence")]
    assert with_evidence, "the accepted evidence issued a badge"
    credential = with_evidence[0]["credential"]
    assert credential["evidence"][0]["id"] == "https://portfolio.example.org/aino/ai"
    saved = tmp_path / "credential.json"
    saved.write_text(json.dumps(credential), encoding="utf-8")
    verify_with_cli(saved)


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_evidence_pages_in_every_language(site: Site, new_context: Any, language: str) -> None:
    page, watch = _signed_in(site, new_context, "riikka", language, "/assess")
    check(page, watch, "assess-queue-empty", language)
    page.goto(f"{site.base}/o/{ORG}/path")
    link = page.locator("a[href*='/path/evidence/']").first
    link.click()
    check(page, watch, "evidence-form-lang", language)
    # Submitting nothing is refused with the reasons, announced as an alert.
    page.locator("#narrative").evaluate("area => area.removeAttribute('required')")
    page.locator("form.stack-form button[type=submit]").click()
    assert page.locator("[role=alert]").is_visible()
    check(page, watch, "evidence-form-problems", language)


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_a_claim_page_in_every_language(site: Site, new_context: Any, language: str) -> None:
    page, watch = _signed_in(site, new_context, "riikka", language, "/path")
    link = page.locator("a[href*='/path/evidence/']").first
    if link.count():  # evidence of her own, waiting for another assessor
        link.click()
        if page.locator("#narrative").count():
            page.fill("#narrative", "Own work")
            page.locator("form.stack-form button[type=submit]").click()
            page.wait_for_load_state("load")
    page.goto(f"{site.base}/o/{ORG}/assess")
    page.locator("table a", has_text="Riikka").first.click()
    check(page, watch, "assess-claim-own", language)
