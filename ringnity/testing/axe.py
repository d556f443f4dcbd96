"""axe-core in the browser tests: the accessibility rules engine run on a Playwright page.

The vendored ``vendor/axe.min.js`` is evaluated in the page by Playwright (outside the page's
Content-Security-Policy, which stays strict); it reads open shadow roots too (the widget's).
"""

from __future__ import annotations

from pathlib import Path

AXE_SOURCE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
#: The impacts a page may not have (axe also reports "moderate" and "minor").
BLOCKING_IMPACTS = ("serious", "critical")


def axe_violations(page, *, include: list | None = None, impacts=BLOCKING_IMPACTS) -> list[dict]:
    """The violations of ``impacts`` on the page (or in ``include``: axe's context selectors), each as
    ``{"id", "impact", "help", "targets"}``."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE.read_text())
    results = page.evaluate(
        "async (include) => await axe.run(include ? { include } : document, { resultTypes: ['violations'] })",
        include,
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]],
        }
        for violation in results["violations"]
        if violation["impact"] in impacts
    ]
