"""Take screenshots of the staff pages from a running demo server, to look at them.

Usage: .venv/bin/python scripts/screenshots.py [base-url] [username]
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
USER = sys.argv[2] if len(sys.argv) > 2 else "nurse.beach"
OUT = Path("screenshots")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for name, viewport in (("desktop", {"width": 1280, "height": 900}), ("tablet", {"width": 820, "height": 1180})):
            page = browser.new_page(viewport=viewport)
            page.goto(f"{BASE}/accounts/login/")
            page.screenshot(path=OUT / f"{name}-login.png", full_page=True)
            page.get_by_label("Username").fill(USER)
            page.get_by_label("Password").fill("ketaclinic-demo")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/patients/**")
            page.screenshot(path=OUT / f"{name}-patients.png", full_page=True)
            page.get_by_role("link").filter(has_text=",").first.click()
            page.wait_for_selector(".banner")
            page.screenshot(path=OUT / f"{name}-chart.png", full_page=True)
            page.get_by_role("link", name="Care team").click()
            page.screenshot(path=OUT / f"{name}-care-team.png", full_page=True)
            for path in sys.argv[3:]:
                page.goto(f"{BASE}{path}")
                page.screenshot(path=OUT / f"{name}-{path.strip('/').replace('/', '-') or 'home'}.png", full_page=True)
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
