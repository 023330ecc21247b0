"""The OpenAPI document is a contract: it validates, its docs pages load offline, and a client
generated from it reads real answers of the service without loss."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from openapi_spec_validator import validate

from tests.api.conftest import Service


class _Assets(HTMLParser):
    """Every URL a page makes the browser fetch: script ``src`` and link ``href``."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_nothing_from_outside_the_service(service: Service, page: str) -> None:
    response = service.client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    parser = _Assets()
    parser.feed(response.text)
    assert parser.urls, "the page loads no script: the test would prove nothing"
    for url in parser.urls:
        assert url.startswith("/") and not url.startswith("//"), f"{page} loads {url}"
        asset = service.client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 1000, url
    # the scripts' own CDN fallbacks are not used: the page names no other origin to load from
    assert not re.search(r"""(src|href)=["']https?://""", response.text)


def test_the_document_names_the_docs_page_s_spec_url(service: Service) -> None:
    assert "/openapi.json" in service.client.get("/docs").text
    assert "/openapi.json" in service.client.get("/redoc").text


def _document(service: Service) -> dict[str, Any]:
    response = service.client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def test_the_document_validates(service: Service) -> None:
    validate(_document(service))
