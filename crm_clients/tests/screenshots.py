"""Screenshots of an addon's screens for its Apps description (static/description/), taken
in headless Chromium by Odoo's own browser helper, 1280 pixels wide, written as small
palette PNGs to ``$CRM_SCREENSHOTS_DIR/<addon>/<name>.png`` (Odoo's screenshots folder
when unset). ``tools/screenshots.sh`` runs the tests tagged ``crm_clients_screenshots``
and copies what they wrote into each addon's static/description/."""

import base64
import io
import os
import pathlib
import unittest

from PIL import Image

from odoo.tests import HttpCase
from odoo.tests.common import ChromeBrowser
from odoo.tools import config

# Resolves once ``ready`` is true in the page (a JS expression), after ``action`` ran (JS
# statements that may use ``sleep(ms)``, ``find(selector)``, ``tab(label)`` and ``show(selector)``).
WAIT_FOR = """(async () => {
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    const find = async (selector) => {
        for (let i = 0; i < 150; i++) {
            const found = document.querySelector(selector);
            if (found) { return found; }
            await sleep(200);
        }
        throw new Error(`${selector} never showed`);
    };
    const tab = async (label) => {
        await find('.o_notebook .nav-link');
        const link = [...document.querySelectorAll('.o_notebook .nav-link')].find((a) => a.textContent.trim() === label);
        if (link && !link.classList.contains('active')) { link.click(); await sleep(300); }
    };
    const show = async (selector) => { (await find(selector)).scrollIntoView({ block: 'start' }); await sleep(300); };
    %s;
    for (let i = 0; i < 150; i++) {
        if (%s) { return true; }
        await sleep(200);
    }
    return false;
})()"""


class ScreenshotCase(HttpCase):
    browser_size = "1280x800"
    # Screenshots go to a folder named after the addon (its Apps page); False: to the
    # screenshots folder itself (the README's, docs/screenshots/).
    screenshots_per_addon = True

    def screenshot(self, url_path, ready, name, action=None):
        """Open ``url_path`` as admin, run ``action`` (JS statements, see :data:`WAIT_FOR`),
        wait until ``ready`` (a JS expression) holds, then save the page as ``name``.png."""
        folder = pathlib.Path(os.environ.get("CRM_SCREENSHOTS_DIR") or config["screenshots"])
        if self.screenshots_per_addon or not os.environ.get("CRM_SCREENSHOTS_DIR"):
            folder /= self.__module__.split(".")[2]
        folder.mkdir(parents=True, exist_ok=True)
        try:
            browser = ChromeBrowser(self, headless=True)
        except unittest.SkipTest as exc:  # no Chromium is a failure here, never a skip
            self.fail(f"no browser for the screenshots: {exc}")
        try:
            self.authenticate("admin", "admin", browser=browser)
            self.cr.flush()
            self.cr.clear()
            browser.navigate_to(f"{self.base_url()}{url_path}", wait_stop=True)
            self.assertTrue(browser._wait_ready("!!document.querySelector('.o_action_manager > *')", timeout=30))
            ready_code = WAIT_FOR % (action or "", ready or "true")
            self.assertTrue(browser._wait_ready(ready_code, timeout=40), f"{name}: the page never got ready")
            browser._wait_ready("new Promise((resolve) => setTimeout(() => resolve(true), 700))")
            shot = browser._websocket_request("Page.captureScreenshot", params={"format": "png"})
            (folder / f"{name}.png").write_bytes(small_png(base64.b64decode(shot["data"])))
        finally:
            browser.stop()
            self._wait_remaining_requests()

    def forget_params(self, prefix, *keys):
        """Drop the system parameters ``<prefix>.<key>`` that point at the stand-ins, so
        that a screenshot of the settings shows their defaults."""
        params = self.env["ir.config_parameter"].sudo()
        for key in keys:
            params.set_param(f"{prefix}.{key}", False)


def small_png(png, width=1280):
    """``png`` at most ``width`` pixels wide, in a palette of 256 colours (a screen of the
    web client loses nothing visible and weighs a third)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    if image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
    out = io.BytesIO()
    image.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(out, "PNG", optimize=True)
    return out.getvalue()
