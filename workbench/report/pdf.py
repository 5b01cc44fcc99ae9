"""Reports as PDF, printed by headless Chromium: a file a manager can forward.

The rendered HTML is printed as it is, with a print stylesheet added to a temporary copy: each
``##`` section starts a page, and figures, tables and paragraphs are not cut across pages.
Chromium runs with a throwaway profile, no network and no header or footer; nothing is loaded
from outside the report (reports are self-contained). Set ``WORKBENCH_CHROMIUM`` to use another
Chromium or Chrome binary than the one on the PATH.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from workbench.report.results import RunConfigError

log = logging.getLogger(__name__)

__all__ = ["PRINT_CSS", "find_chromium", "print_pdf"]

#: Page breaks between sections; figures, tables and paragraphs kept whole.
PRINT_CSS = """
<style media="print">
  @page { size: A4; margin: 14mm 12mm; }
  h2 { break-before: page; }
  h1 + * h2, .jp-Cell:first-child h2 { break-before: auto; }
  img, figure, table, pre, .jp-OutputArea-output, p, li { break-inside: avoid; }
  h1, h2, h3 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
  .jp-OutputArea-output, .jp-RenderedHTMLCommon { overflow: visible !important; }
  .jp-RenderedHTMLCommon table, table { font-size: 7pt !important; max-width: 100% !important; }
  .jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { padding: 1px 4px !important; }
</style>
"""
_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--no-pdf-header-footer", "--virtual-time-budget=5000"]


def find_chromium() -> str:
    """The Chromium binary: ``$WORKBENCH_CHROMIUM``, else ``chromium`` / ``chromium-browser`` /
    ``google-chrome`` on the PATH.

    Raises
    ------
    RunConfigError
        Saying how to install it, before any report runs.
    """
    named = os.environ.get("WORKBENCH_CHROMIUM")
    if named:
        if not Path(named).is_file():
            raise RunConfigError(f"WORKBENCH_CHROMIUM={named}: no such file")
        return named
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise RunConfigError("--pdf prints reports with headless Chromium, which is not installed: "
                         "install it (Debian/Ubuntu: apt-get install chromium) or set "
                         "WORKBENCH_CHROMIUM to a Chromium or Chrome binary")


def print_pdf(html: Path, pdf: Path, *, chromium: str | None = None, timeout: float = 180) -> Path:
    """Print the report `html` to `pdf` (written under a temporary name, then renamed)."""
    chromium = chromium or find_chromium()
    html, pdf = Path(html), Path(pdf)
    page = html.read_text(encoding="utf-8")
    page = page.replace("</head>", PRINT_CSS + "</head>", 1) if "</head>" in page else PRINT_CSS + page
    with tempfile.TemporaryDirectory(prefix="workbench-pdf-") as tmp:
        copy = Path(tmp) / html.name
        copy.write_text(page, encoding="utf-8")
        partial = pdf.with_name(f".{pdf.name}.partial")
        cmd = [chromium, *_FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}",
               f"--print-to-pdf={partial}", copy.as_uri()]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            partial.unlink(missing_ok=True)
            raise OSError(f"{html.name}: Chromium did not print it within {timeout:.0f} s") from None
        if done.returncode != 0 or not partial.is_file() or partial.stat().st_size == 0:
            partial.unlink(missing_ok=True)
            tail = (done.stderr or "").strip().splitlines()[-1:] or [f"exit {done.returncode}"]
            raise OSError(f"{html.name}: Chromium could not print it ({tail[0]})")
        partial.replace(pdf)
    log.info("printed %s", pdf)
    return pdf
