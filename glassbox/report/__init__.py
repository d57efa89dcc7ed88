"""glassbox.report: one self-contained HTML report on a trained model (`build_report`).

matplotlib is needed to build a report and is imported only then.
"""

from glassbox.report.html import build_report

__all__ = ["build_report"]
