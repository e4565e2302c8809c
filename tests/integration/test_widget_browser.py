"""The chat widget and the agent-assist page in a real browser (Debian's chromium), against
the real service on loopback: a complaint goes in, a streamed reply carrying the authorized
offer comes out. Screenshots go to docs/screenshots/ for the README."""

from __future__ import annotations

import importlib.util
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.api import create_app, mint_widget_token
from bot.domain import OfferDecision
from bot.drafting import Drafter, render_offer_sentence
from tests.conftest import require_service
from tests.net import free_port
from tests.unit.api.conftest import ADMIN, AGENT, SERVICE, seeded_settings

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, object]]:
    import uvicorn

    settings = seeded_settings(f"sqlite:///{tmp_path / 'web.db'}")
    app = create_app(settings, drafter=Drafter(None))
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield base, settings
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[object]:
    available = shutil.which(CHROMIUM) is not None and importlib.util.find_spec("playwright")
    require_service(bool(available), "needs Debian's chromium and the playwright package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def test_widget_streams_a_reply_with_the_authorized_offer(server, browser) -> None:
    base, _ = server
    token = mint_widget_token("test-secret", "5")
    page = browser.new_page(viewport={"width": 900, "height": 560})
    page.goto(f"{base}/widget?token={token}&order_id=W-1&order_value=60")
    page.fill(
        "#appease-input", "Hi, the ceramic lamp arrived with the shade cracked in two. Order W-1."
    )
    page.click("#appease-send")
    page.wait_for_selector(".appease-bot[data-state=done]", timeout=30_000)
    reply = page.inner_text(".appease-bot")
    offers = httpx.get(f"{base}/v1/offers", params={"order_id": "W-1"}, headers=SERVICE).json()[
        "offers"
    ]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "widget.png"))
    assert len(reply) > 40
    if offers:
        o = offers[0]
        decision = OfferDecision.model_validate(
            {
                "offer": {"kind": o["kind"], "amount": o["amount"], "currency": o["currency"]},
                "cap": o["amount"],
                "escalate": False,
                "reasons": [],
                "policy_version": o["policy_version"],
            }
        )
        assert render_offer_sentence(decision) in " ".join(reply.split())


def test_agent_assist_page_drafts_and_refuses_an_edit_over_the_cap(server, browser) -> None:
    base, _ = server
    page = browser.new_page(viewport={"width": 1100, "height": 640})
    page.goto(f"{base}/assist?key=agent-key&customer=5")
    page.click("#draft")
    page.wait_for_function("document.getElementById('offer').textContent !== '-'", timeout=30_000)
    assert page.input_value("#text")
    page.fill("#text", page.input_value("#text") + " We have also refunded $900 to your card.")
    page.click("#approve")
    page.wait_for_selector("#result .bad", timeout=10_000)
    assert "refused" in page.inner_text("#result")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "assist.png"), full_page=True)
    assert httpx.get(f"{base}/healthz", headers=AGENT).status_code == 200


def test_agent_assist_names_a_missing_field_in_words(server, browser) -> None:
    """An agent who leaves the order value empty reads which field to fill, not raw JSON."""
    base, _ = server
    page = browser.new_page(viewport={"width": 1100, "height": 640})
    page.goto(f"{base}/assist?key=agent-key&customer=5")
    page.fill("#order", "W-77")
    page.fill("#value", "")
    page.click("#draft")
    page.wait_for_selector("#result .bad", timeout=10_000)
    shown = page.inner_text("#result")
    assert "Order value" in shown and "{" not in shown and "loc" not in shown, shown
    page.fill("#value", "60")
    page.click("#draft")
    page.wait_for_function("document.getElementById('offer').textContent !== '-'", timeout=30_000)
    assert "sorry" in page.input_value("#text").lower()
    assert page.inner_text("#result") == ""


def test_the_customer_accepts_the_offer_in_the_widget(server, browser) -> None:
    """The reply's offer shows with Accept / No thanks; Accept records it and says so."""
    base, _ = server
    token = mint_widget_token("test-secret", "5")
    page = browser.new_page(viewport={"width": 900, "height": 620})
    page.goto(f"{base}/widget?token={token}&order_id=W-ACC&order_value=60")
    page.fill("#appease-input", "Hi, the ceramic lamp arrived with the shade cracked in two.")
    page.click("#appease-send")
    page.wait_for_selector(".appease-offer[data-state=open]", timeout=30_000)
    [offer] = httpx.get(f"{base}/v1/offers", params={"order_id": "W-ACC"}, headers=SERVICE).json()[
        "offers"
    ]
    card = page.locator(".appease-offer")
    assert card.get_attribute("data-offer-id") == str(offer["id"])
    assert (
        "store credit" in card.inner_text() or offer["kind"].replace("_", " ") in card.inner_text()
    )
    page.click(".appease-accept")
    page.wait_for_selector(".appease-offer[data-state=accepted]", timeout=10_000)
    assert "Accepted" in page.inner_text(".appease-offer-result")
    assert page.locator(".appease-offer button").count() == 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "widget-offer.png"))
    [after] = httpx.get(f"{base}/v1/offers", params={"order_id": "W-ACC"}, headers=SERVICE).json()[
        "offers"
    ]
    assert after["status"] == "accepted"
    kpi = httpx.get(f"{base}/v1/kpi", headers=ADMIN).json()
    acceptance = kpi["goodwill"]["offers"]["acceptance"]
    assert (acceptance["count"], acceptance["n"]) == (1, 1)
