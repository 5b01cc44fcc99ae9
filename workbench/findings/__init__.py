"""What each report says, in three to six sentences computed from the run's own tables.

One function per report, each taking the tables its notebook already holds (never the demo's
planted truth) and returning plain sentences for :func:`workbench.report.findings`, which shows
them under the report's title. Figures are written as the report's tables write them
(:func:`workbench.display.format_value`: ``locale`` and ``currency``), and bad news is said as
such: a campaign that loses money is named as losing money, a fall as a fall.

    wb.report.findings(wb.findings.rfm(grades=..., kpis=..., drops=..., locale=locale, currency=currency))
"""

from workbench.findings._text import Findings
from workbench.findings.campaigns import campaigns
from workbench.findings.health import health
from workbench.findings.journeys import journeys
from workbench.findings.personas import personas
from workbench.findings.pricing import pricing
from workbench.findings.quality import quality
from workbench.findings.rfm import rfm

__all__ = ["Findings", "quality", "personas", "rfm", "pricing", "campaigns", "health", "journeys"]
