"""Take the README screenshots: load the demo into a throwaway database, serve it with daphne and
photograph the main pages with the system Chromium through playwright.

    make screenshots          # writes docs/screenshots/*.png
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    var = Path(tempfile.mkdtemp(prefix="fapai-shots-"))
    env = {**os.environ, "FAPAI_VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    py = sys.executable
    for args in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"], ["load_demo"]):
        subprocess.run([py, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen([str(Path(py).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                               "config.asgi:application"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page.goto(base + "/")
            page.screenshot(path=str(OUT / "listing.png"))
            page.locator(".card-title a").first.click()  # the default sort puts the round ending soonest first
            page.wait_for_load_state()
            page.screenshot(path=str(OUT / "lot-page.png"))
            page.goto(base + "/accounts/login/?next=/court/")
            page.fill("input[name=username]", "judge")
            page.fill("input[name=password]", "fapai-demo-2026")
            with page.expect_navigation():
                page.click("main button[type=submit]")
            if "/accounts/2fa/" in page.url:  # staff: the second step, with the demo authenticator's code
                code = subprocess.run([py, "manage.py", "otp_code", "judge"], cwd=ROOT, env=env, check=True,
                                      capture_output=True, text=True).stdout.strip()
                page.fill("input[name=token]", code)
                with page.expect_navigation():
                    page.click("main button[type=submit]")
            page.screenshot(path=str(OUT / "court-console.png"))
            phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
            phone.goto(base + "/")
            phone.screenshot(path=str(OUT / "listing-phone.png"))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(var, ignore_errors=True)
    print(f"screenshots written to {OUT}")


if __name__ == "__main__":
    main()
