"""The workflow's report.html in a real browser: no console error, images render.

Skipped unless Chromium (or Chrome) is installed; ``.ci/run`` installs it where it can.
"""

import pytest

_PIXEL = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5E"
    "rkJggg=="
)


def test_chromium_helper_sees_console_errors_and_broken_images(tmp_path, chromium):
    # The check itself can fail: a page with an error and a broken image.
    page = tmp_path / "bad.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>bad</title></head><body>"
        f'<img alt="ok" src="data:image/png;base64,{_PIXEL}">'
        '<img alt="broken" src="missing.png">'
        '<script>console.error("boom"); undefined_function();</script>'
        "</body></html>"
    )
    result = chromium(page)
    assert result["title"] == "bad"
    assert len(result["errors"]) >= 2
    assert any("boom" in error for error in result["errors"])
    widths = {img["alt"]: img["width"] for img in result["images"]}
    assert widths == {"ok": 1, "broken": 0}


@pytest.mark.slow
def test_workflow_report_opens_without_errors_and_renders_images(churn_run, chromium):
    folder, _, _ = churn_run
    result = chromium(folder / "out" / "report.html")
    assert result["errors"] == []
    assert result["title"].startswith("sklearn_workflow report")
    assert len(result["images"]) >= 4
    for image in result["images"]:
        assert image["complete"] and image["width"] > 0 and image["height"] > 0, image
