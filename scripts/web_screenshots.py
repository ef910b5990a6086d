"""Screenshots of the main web pages in Spanish and English, for docs/images/web/.

    .venv/bin/python scripts/web_screenshots.py [--out docs/images/web] [--scale 300]

Runs `enlace demo` into a temporary folder (two nodes that exchanged, a meeting, CBP
statistics), adds a demo user holding every role to the MX node, serves it with
`create_node_app` on a free loopback port, and photographs each page with Playwright
driving Debian's Chromium (/usr/bin/chromium; no browser download).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import Page, sync_playwright

from enlace.model.roles import Role
from enlace.node.setup import open_node
from enlace.users.accounts import add_user
from enlace.users.passwords import random_password
from enlace.web.app import create_node_app

CHROMIUM = "/usr/bin/chromium"
MAX_HEIGHT = 1800
BAD_CSV = (
    "type,number,tlp,releasable_to,handling,evaluation\n"
    "phone,+52 656 555 0199,amber,US,H2,B2\n"
    "phone,+52 656 555,amber,US,H2,B2\n"
    "phone,+52 81 8123 4567,purple,US,H2,B2\n"
)
PASSWORD = random_password("ana")  # a throwaway user of a throwaway node
PAGES = (
    ("dashboard", "/web/"),
    ("records", "/web/records?kind=seizure"),
    ("record", None),  # a record received from the partner, found at run time
    ("import", "/web/import"),
    ("exchange", "/web/exchange"),
    ("matching", "/web/matching"),
    ("tracking", "/web/tracking"),
    ("audit", "/web/audit"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/images/web"))
    parser.add_argument("--scale", type=int, default=300)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="enlace-shots-") as folder:
        nodes = Path(folder) / "demo-nodes"
        subprocess.run(  # noqa: S603 — our own CLI, fixed arguments
            [
                sys.executable,
                "-m",
                "enlace",
                "demo",
                "--folder",
                str(nodes),
                "--scale",
                str(args.scale),
            ],
            check=True,
            capture_output=True,
            env={**os.environ, "COLUMNS": "200"},
        )
        config, store = open_node(nodes / "mx")
        add_user(
            store,
            username="ana",
            display_name="Ana López Ruiz",
            password=PASSWORD,
            roles=set(Role),
            agency="SSPC",
            actor="screenshots",
        )
        server = uvicorn.Server(
            uvicorn.Config(
                create_node_app(store, config), host="127.0.0.1", port=0, log_level="warning"
            )
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        try:
            shoot(url, args.out)
        finally:
            server.should_exit = True
            thread.join(15)
            store.close()


def shoot(url: str, out: Path) -> None:
    with sync_playwright() as playwright:
        for lang, locale in (("es", "es-MX"), ("en", "en-US")):
            # --lang asks for the browser's own controls in that language; a headless
            # Chromium may keep them in English (the file chooser's button).
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", f"--lang={locale}"]
            )
            page = browser.new_context(
                locale=locale, viewport={"width": 1280, "height": 900}
            ).new_page()
            page.goto(f"{url}/web/login")
            page.fill("#username", "ana")
            page.fill("#password", PASSWORD)
            page.click("form.login-form button[type=submit]")
            page.goto(f"{url}/web/language?lang={lang}&next=/web/")
            for name, path in PAGES:
                page.goto(url + (path or received_record(page, url)))
                # Long pages are cut at MAX_HEIGHT: the top shows what the page is.
                height = min(MAX_HEIGHT, int(page.evaluate("document.body.scrollHeight")))
                page.screenshot(
                    path=str(out / f"{name}-{lang}.png"),
                    full_page=True,
                    clip={"x": 0, "y": 0, "width": 1280, "height": height},
                )
                print(out / f"{name}-{lang}.png")
            refused_import(page, url, out / f"import-refused-{lang}.png")
            browser.close()


def refused_import(page: Page, url: str, path: Path) -> None:
    """The import page after a file with bad rows: what was wrong, where; nothing written."""
    page.goto(f"{url}/web/import")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "telefonos.csv", "mimeType": "text/csv", "buffer": BAD_CSV.encode()}],
    )
    page.click("#import-form button[type=submit]")
    page.screenshot(path=str(path), full_page=True)
    print(path)


def received_record(page: Page, url: str) -> str:
    page.goto(f"{url}/web/records?origin=received&kind=firearm")
    href = page.locator("table.records tbody a").first.get_attribute("href")
    assert href is not None
    return href


if __name__ == "__main__":
    main()
