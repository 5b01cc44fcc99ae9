"""The explorers in a real JupyterLab, driven by a real Chromium (Playwright).

A JupyterLab server starts on loopback (random free port, a token, no browser) over a temporary
folder holding copies of the notebooks, with JupyterLab's default settings: widget messages go
over kernel subshells, as an analyst's JupyterLab does. Each notebook runs whole in the
browser; then one control of each explorer is changed, and the chart below it must change and
not be blank (PNG bytes read back from the page, pixels counted), and its table must show the
new value. Needs /usr/bin/chromium (`.ci/run` installs it) and Playwright (the `dev` extra).
"""

from __future__ import annotations

import base64
import io
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field

import numpy as np
import pytest

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK),
                       reason=f"{CHROMIUM} not installed (.ci/run installs Debian's chromium)"),
]
playwright = pytest.importorskip("playwright.sync_api", reason="Playwright not installed: pip install -e '.[dev]'")

NOTEBOOK_TIMEOUT_S = 420  # one notebook run whole, on a busy CI machine
SETTLE_TIMEOUT_S = 120  # one explorer refresh (a persona fit may take 20 s)


@dataclass
class Change:
    """One explorer, one control changed, and what its view must show afterwards."""

    notebook: str
    call: str  # the explorer's call in its cell
    act: str  # what to do: "select <label>=<option>", "type <label>=<text>", "click <button>"
    shows: str  # a regular expression the tables must match afterwards
    chart: bool = True  # its chart must change
    then: list[str] = field(default_factory=list)  # further actions (a Recompute button)


CHANGES = [
    Change("00_data_quality", "wb.widgets.quality.explore_quality", "select Table=orders",
           r"<th>order_id</th>|>order_id<", chart=False),
    Change("01_persona_discovery", "wb.widgets.personas.explore_personas", "select Personas=3",
           r"top_traits</th>\s*</tr>\s*</thead>\s*<tbody>(\s*<tr>.*?</tr>){3}\s*</tbody>",
           then=["click Find personas"]),  # the cards table: three personas
    Change("02_rfm_scoring", "wb.widgets.rfm.explore_scoring", "type A from=1000",
           r"<td>A</td>\s*<td>[^<]*</td>\s*<td>0</td>"),
    Change("03_price_acceptability", "wb.widgets.pricing.explore_pricing", "type unit cost=50",
           r"81\.25"),  # floor = 50 x 1.30 own margin x 1.25 distribution margin
    Change("04_campaign_roi", "wb.widgets.campaigns.explore_campaigns", "select Campaign=<second>",
           r"<second>"),
    Change("05_customer_health", "wb.widgets.health.explore_capital", "type complaint=-40",
           r"points changed: complaint -40", then=["click Recompute"]),
    Change("05_customer_health", "wb.widgets.health.explore_value", "slide horizon (months)=36",
           r"customers over 36 months", chart=False),
    Change("05_customer_health", "wb.widgets.health.explore_customer", "type customer=<last>",
           r"<last>"),
]
NOTEBOOKS = list(dict.fromkeys(c.notebook for c in CHANGES))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory, root):
    """A JupyterLab server over copies of the notebooks; yields its URL and token."""
    home = tmp_path_factory.mktemp("lab")
    shutil.copytree(root / "notebooks", home / "notebooks", ignore=shutil.ignore_patterns(".*"))
    settings = home / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # every cell stays in the page, so a test can find an explorer below the fold
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    kernels = home / "settings" / "@jupyterlab" / "apputils-extension"
    kernels.mkdir(parents=True)
    # JupyterLab's default, written out so the test keeps widget messages on subshells
    (kernels / "kernels-settings.jupyterlab-settings").write_text('{"commsOverSubshells": "perCommTarget"}')
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "IPYTHONDIR": str(home / "ipython"),
           "MPLCONFIGDIR": str(home / "mpl"), "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "PYTHONUNBUFFERED": "1"}
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={home}", "--LabApp.expose_app_in_browser=True",
         *(["--allow-root"] if os.geteuid() == 0 else [])],  # CI containers run as root
        cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start: {(home / 'server.log').read_text()[-3000:]}")
                time.sleep(0.5)
        yield url, token, home
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Debian's Chromium, headless, its profile in a temporary folder (Playwright downloads none)."""
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True,
            viewport={"width": 1400, "height": 1000},
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()


# -- reading the page ------------------------------------------------------------------------

_SNAPSHOT = """async (node) => {
  const imgs = [];
  for (const img of node.querySelectorAll('img')) {
    const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
    let s = ''; for (const b of bytes) s += String.fromCharCode(b);
    imgs.push(btoa(s));
  }
  const html = [...node.querySelectorAll('.widget-html-content')].map(e => e.innerHTML);
  return {imgs, html};
}"""


def snapshot(explorer):
    """The explorer's charts (PNG bytes) and HTML parts; None while an image is being replaced."""
    try:
        got = explorer.evaluate(_SNAPSHOT)
    except playwright.Error:  # a blob URL revoked between reading and fetching: read again
        return None
    return [base64.b64decode(s) for s in got["imgs"]], got["html"]


def ink(png: bytes) -> float:
    """Share of the PNG's pixels that are not (near) white."""
    from PIL import Image

    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)
    return float((rgb.min(axis=2) < 240).mean())


def _open_and_run(page, name: str) -> None:
    """Open a notebook in JupyterLab, wait for its kernel, run every cell; fail on an error."""
    errors = page.evaluate("""async (path) => {
      const app = window.jupyterapp;
      const nb = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
      window.wbNotebook = nb;
      await nb.context.ready;
      await nb.sessionContext.ready;
      app.shell.activateById(nb.id);
      while (app.shell.currentWidget !== nb) await new Promise(r => setTimeout(r, 100));
      await app.commands.execute('notebook:run-all-cells');
      const errors = [];
      const cells = nb.content.model.cells;
      for (let i = 0; i < cells.length; i++) {
        const cell = cells.get(i);
        if (cell.type !== 'code') continue;
        for (const o of cell.outputs.toJSON())
          if (o.output_type === 'error') errors.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
        if (cell.sharedModel.getSource().trim() && cell.executionCount === null)
          errors.push(`cell ${i} did not run`);
      }
      return errors;
    }""", f"notebooks/{name}.ipynb")
    assert not errors, f"{name} in JupyterLab: {errors}"


def _explorer(page, call: str):
    """The output area of the cell calling `call`, marked so Playwright can find it."""
    marker = re.sub(r"\W", "-", call)
    found = page.evaluate("""([call, marker]) => {
      const nb = window.wbNotebook.content;
      const i = nb.widgets.findIndex(c => c.model.sharedModel.getSource().includes(call + '('));
      if (i < 0) return false;
      nb.widgets[i].node.querySelector('.jp-OutputArea').setAttribute('data-explorer', marker);
      return true;
    }""", [call, marker])
    assert found, f"no cell calls {call}"
    explorer = page.locator(f"[data-explorer='{marker}']")
    explorer.locator(".widget-vbox").first.wait_for(timeout=SETTLE_TIMEOUT_S * 1000)
    explorer.scroll_into_view_if_needed()
    return explorer


def _control(explorer, kind: str, label: str):
    has_label = f":has(> label:text-is('{label}'))"
    if kind == "select":
        return explorer.locator(f".widget-dropdown{has_label} select")
    if kind == "slide":
        return explorer.locator(f".widget-slider{has_label} .widget-readout")
    return explorer.locator(f".widget-text{has_label} input, .widget-combobox{has_label} input").first


def _act(page, explorer, action: str, names: dict) -> None:
    kind, _, rest = action.partition(" ")
    if kind == "click":
        explorer.locator("button", has_text=rest).click()
        return
    label, _, value = rest.partition("=")
    value = names.get(value, value)
    control = _control(explorer, kind, label)
    if kind == "select":
        control.select_option(label=value)
    elif kind == "slide":  # the readout of an ipywidgets slider takes a typed value
        control.click()
        page.keyboard.press("Control+A")
        page.keyboard.type(value)
        page.keyboard.press("Enter")
    else:
        control.fill(value)
        control.press("Enter")


def _settled(explorer, before, change: Change, shows: str):
    """Poll until the view shows the new value (and a new chart) with no "working..." left."""
    deadline, last = time.monotonic() + SETTLE_TIMEOUT_S, None
    while time.monotonic() < deadline:
        now = snapshot(explorer)
        if now is not None:
            last = now
            images, parts = now
            html = "\n".join(parts)
            done = "working..." not in html and re.search(shows, html, re.S) and parts != before[1]
            if done and (not change.chart or (images and images != before[0])):
                return now
        time.sleep(0.5)
    pytest.fail(f"{change.call}: after '{change.act}', the view did not show {shows!r} "
                f"{'and a new chart ' if change.chart else ''}within {SETTLE_TIMEOUT_S} s; "
                f"last seen: {[p[:300] for p in (last or ([], []))[1]]}")


def _names(page, explorer, change: Change) -> dict:
    """Values a change refers to by role: another campaign, the last customer offered."""
    names = {}
    if "<second>" in change.act:
        options = _control(explorer, "select", "Campaign").locator("option").all_inner_texts()
        names["<second>"] = options[1]
    if "<last>" in change.act:
        names["<last>"] = page.evaluate("""(node) => {
          const opts = node.querySelectorAll('datalist option');
          return opts[opts.length - 1].value;
        }""", explorer.element_handle())
    return names


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_explorer_redraws_its_chart_and_table_in_a_real_jupyterlab(lab, browser, name):
    url, token, _ = lab
    page = browser.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{url}/lab/workspaces/{name}?reset&token={token}")  # a fresh layout
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started !== undefined",
                               timeout=90_000)
        page.evaluate("() => window.jupyterapp.started")
        page.set_default_timeout(NOTEBOOK_TIMEOUT_S * 1000)
        _open_and_run(page, name)
        page.set_default_timeout(60_000)
        for change in (c for c in CHANGES if c.notebook == name):
            explorer = _explorer(page, change.call)
            before = None
            while before is None:
                before = snapshot(explorer)
            if change.chart:
                assert before[0], f"{change.call}: no chart before the change"
                for png in before[0]:
                    assert ink(png) > 0.02, f"{change.call}: a blank chart at first render"
            names = _names(page, explorer, change)
            for action in [change.act, *change.then]:
                _act(page, explorer, action, names)
            shows = change.shows
            for role, value in names.items():
                shows = shows.replace(role, re.escape(value))
            images, _ = _settled(explorer, before, change, shows)
            for png in images:
                assert ink(png) > 0.02, f"{change.call}: a blank chart after '{change.act}'"
        subshells = page.evaluate("""async () => {
          const kernel = window.wbNotebook.sessionContext.session.kernel;
          return (await kernel.requestListSubshell({}).done).content.subshell_id;
        }""")
        assert subshells, "the widget messages did not go over a kernel subshell"
    finally:
        page.evaluate("() => window.wbNotebook && window.wbNotebook.sessionContext.shutdown()")
        page.close()
