"""Shared pieces of the workflow tests: the command line, a small churn run, and
headless Chromium (through the DevTools protocol on a pipe, standard library only).
"""

import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from sklearn_workflow.datasets import make_churn

ROOT = Path(__file__).resolve().parents[2]

# The seed's churn card without the latency constraint: single-row latency is
# measured on whatever machine runs the tests, the rest is deterministic.
CHURN_TOML = """\
name = "Customer Churn Prediction"
type = "binary_classification"
target = "churned"
positive_class = 1
success_metric = "recall"
threshold = 0.8
secondary_metrics = ["precision", "f1"]

[baseline]
method = "rule-based (tenure < 3 months)"
rule = "tenure_months < 3"
recall = 0.55
precision = 0.4
"""

OUTPUT_FILES = [
    "findings.csv",
    "metrics.json",
    "model.skops",
    "model_card.md",
    "report.html",
    "test_predictions.csv",
]


def run_cli(*args, cwd=None, timeout=600):
    """Run the command line; returns the CompletedProcess."""
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p]
    )
    return subprocess.run(
        [sys.executable, "-m", "sklearn_workflow", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )


def _write_churn_files(folder, n_samples=800):
    X, y = make_churn(n_samples, random_state=0)
    frame = X.assign(churned=y)
    frame.to_csv(folder / "churn.csv", index=False)
    (folder / "churn.toml").write_text(CHURN_TOML)
    return frame


@pytest.fixture(scope="session")
def churn_run(tmp_path_factory):
    """One run on a small churn CSV with its card (dates as text, as in a CSV)."""
    folder = tmp_path_factory.mktemp("churn")
    frame = _write_churn_files(folder)
    result = run_cli(
        "run",
        folder / "churn.csv",
        "--spec",
        folder / "churn.toml",
        "--out",
        folder / "out",
        "--time-budget",
        "30",
    )
    return folder, frame, result


@pytest.fixture
def write_churn():
    """``write_churn(folder, n_samples)``: churn.csv and its card churn.toml."""
    return _write_churn_files


@pytest.fixture
def cli():
    """``cli(*args)`` runs ``python -m sklearn_workflow`` and returns the result."""
    return run_cli


# ---------------------------------------------------------------- headless Chromium
_IMAGES = """JSON.stringify(Array.from(document.images).map(
    img => ({alt: img.alt, complete: img.complete,
             width: img.naturalWidth, height: img.naturalHeight})))"""


def find_chromium():
    """Path of a Chromium or Chrome executable, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class _Pipe:
    def __init__(self, executable, user_dir):
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire():  # runs in the child: the protocol's fixed descriptors
            # Copy first: a pipe end may itself be 3 or 4, and dup2 onto the
            # same number would keep it close-on-exec.
            read_end, write_end = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self.process = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--remote-debugging-pipe",
                f"--user-data-dir={user_dir}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire,
            close_fds=False,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.events = []

    def send(self, method, params=None, session=None, timeout=30):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method, timeout=30):
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._read(deadline))

    def _read(self, deadline):
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self._from_chrome], [], [], left)
            if ready:
                chunk = os.read(self._from_chrome, 1 << 16)
                if not chunk:
                    raise RuntimeError("Chromium closed the pipe")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)


def render(path, executable=None, timeout=60):
    """Load ``path`` in headless Chromium.

    Returns
    -------
    result : dict
        ``errors`` (console errors, uncaught exceptions and failed loads, as
        text), ``images`` (one dict per ``<img>``: alt, complete, width,
        height) and ``title``.
    """
    executable = executable or find_chromium()
    with tempfile.TemporaryDirectory() as user_dir:
        browser = _Pipe(executable, user_dir)
        try:
            target = browser.send("Target.createTarget", {"url": "about:blank"})
            session = browser.send(
                "Target.attachToTarget",
                {"targetId": target["targetId"], "flatten": True},
            )["sessionId"]
            for domain in ("Runtime", "Log", "Page"):
                browser.send(f"{domain}.enable", session=session)
            url = "file://" + os.path.abspath(path)
            browser.send("Page.navigate", {"url": url}, session=session)
            browser.wait_for("Page.loadEventFired", timeout=timeout)
            images = browser.send(
                "Runtime.evaluate",
                {"expression": _IMAGES, "returnByValue": True},
                session=session,
            )["result"]["value"]
            title = browser.send(
                "Runtime.evaluate",
                {"expression": "document.title", "returnByValue": True},
                session=session,
            )["result"]["value"]
            errors = []
            for event in browser.events:
                method, params = event.get("method"), event.get("params", {})
                if method == "Runtime.exceptionThrown":
                    errors.append(params["exceptionDetails"].get("text", "exception"))
                elif method == "Runtime.consoleAPICalled" and params.get("type") in (
                    "error",
                    "assert",
                ):
                    errors.append(json.dumps(params.get("args")))
                elif method == "Log.entryAdded":
                    entry = params.get("entry", {})
                    if entry.get("level") == "error":
                        errors.append(entry.get("text", "log error"))
        finally:
            browser.close()
    return {"errors": errors, "images": json.loads(images), "title": title}


@pytest.fixture
def chromium():
    """``chromium(path)`` loads a page; skips when no Chromium is installed."""
    if find_chromium() is None:
        pytest.skip("Chromium is not installed")
    return render
