"""The workflow's report.html in a real browser, driven through Selenium.

Headless Chromium at 1280 x 800, as a reader opens the page: no horizontal scroll
bar, the verdict within the first 800 pixels, every image drawn and no console
error, on the demo data and on an 85-column table whose model selection stops
candidates early. Skipped unless Selenium, Chromium and its chromedriver (Debian's
``chromium-driver``) are installed; ``.ci/run`` installs the browser and driver
where it can. No browser is downloaded.
"""

import shutil
from pathlib import Path

import numpy as np
import pytest

from sklearn_workflow.datasets import make_churn
from sklearn_workflow.problem import churn_spec
from sklearn_workflow.workflow import run_workflow

_PIXEL = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAAB"
    "JRU5ErkJggg=="
)
_WIDTH, _HEIGHT = 1280, 800

# What a reader sees, measured in the page once it has loaded.
_MEASURE = """
const root = document.documentElement;
const verdict = document.querySelector('.verdict');
return {
  title: document.title,
  scrollWidth: root.scrollWidth,
  clientWidth: root.clientWidth,
  innerWidth: window.innerWidth,
  verdictBottom: verdict ? verdict.getBoundingClientRect().bottom : null,
  images: Array.from(document.images).map(img => ({
    alt: img.alt, complete: img.complete, width: img.naturalWidth,
  })),
};
"""


def _find(*names):
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    for path in ("/usr/lib/chromium/chromedriver", "/usr/lib/chromium/chromium"):
        if Path(path).exists() and Path(path).name in names:
            return path
    return None


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium window of 1280 x 800, or a skip saying what is missing."""
    webdriver = pytest.importorskip("selenium.webdriver")
    service_module = pytest.importorskip("selenium.webdriver.chrome.service")
    binary = _find("chromium", "chromium-browser", "google-chrome")
    driver_path = _find("chromedriver")
    if binary is None or driver_path is None:
        pytest.skip("Chromium and its chromedriver (chromium-driver) are needed")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--window-size={_WIDTH},{_HEIGHT}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # The driver is the one installed with the browser: Selenium Manager, which
    # would download one, is never asked.
    service = service_module.Service(executable_path=driver_path)
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_window_size(_WIDTH, _HEIGHT)
    yield driver
    driver.quit()


def _open(driver, path):
    """Load a page and measure it; console errors of this page only."""
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(Path(path).resolve().as_uri())
    result = driver.execute_script(_MEASURE)
    result["errors"] = [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE"
    ]
    return result


def _check_report(result):
    assert result["errors"] == []
    assert result["title"].startswith("sklearn_workflow report")
    # No horizontal scroll bar: nothing is wider than the window.
    assert result["scrollWidth"] <= result["clientWidth"] <= _WIDTH
    assert result["verdictBottom"] is not None
    assert 0 < result["verdictBottom"] <= _HEIGHT
    assert len(result["images"]) >= 4
    for image in result["images"]:
        assert image["complete"] and image["width"] > 0, image


def test_browser_check_sees_errors_broken_images_and_overflow(tmp_path, browser):
    # The checks themselves can fail: a page with each fault.
    page = tmp_path / "bad.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>bad</title></head><body>"
        f'<img alt="ok" src="data:image/png;base64,{_PIXEL}">'
        '<img alt="broken" src="missing.png">'
        '<div style="width:3000px">wide</div>'
        '<p style="margin-top:2000px" class="verdict">late</p>'
        '<script>console.error("boom"); undefined_function();</script>'
        "</body></html>"
    )
    result = _open(browser, page)
    assert result["title"] == "bad"
    assert any("boom" in error for error in result["errors"])
    assert len(result["errors"]) >= 2
    widths = {image["alt"]: image["width"] for image in result["images"]}
    assert widths == {"ok": 1, "broken": 0}
    assert result["scrollWidth"] > result["clientWidth"]
    assert result["verdictBottom"] > _HEIGHT
    with pytest.raises(AssertionError):
        _check_report(result)


@pytest.mark.slow
def test_workflow_report_reads_well_in_a_browser_on_the_demo(browser, churn_run):
    folder, _, _ = churn_run
    _check_report(_open(browser, folder / "out" / "report.html"))


def _wide_churn(n_rows=1000, n_columns=85, random_state=0):
    """The churn demo widened to ``n_columns`` columns with long names."""
    X, y = make_churn(n_rows, random_state=random_state)
    rng = np.random.default_rng(random_state)
    extra = n_columns - X.shape[1]
    for i in range(extra):
        name = f"measurement_with_a_rather_long_descriptive_name_{i:02d}"
        if i % 5 == 0:
            X[name] = rng.choice([f"category_level_{k}" for k in range(12)], n_rows)
        else:
            X[name] = rng.normal(size=n_rows) + (i % 7 == 0) * y.to_numpy()
    return X, y


@pytest.mark.slow
def test_workflow_report_reads_well_on_an_85_column_table(tmp_path, browser):
    X, y = _wide_churn()
    assert X.shape[1] == 85
    result = run_workflow(
        X, y, spec=churn_spec(), out=tmp_path, time_budget=20, verbose=0
    )
    statuses = [row["status"] for row in result.metrics["selection"]]
    assert any(status.startswith(("dropped", "stopped")) for status in statuses)
    _check_report(_open(browser, result.files["report.html"]))
