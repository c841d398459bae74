"""Drive Debian's headless Chromium over the DevTools protocol, through a pipe, for report tests.

`--remote-debugging-pipe` makes Chromium read protocol commands from fd 3 and write
replies and events to fd 4, NUL-separated: no port to pick, no websocket client to
install, nothing that can race another test on the machine. Only what the report tests
need is here: open a page, wait for the report's own "done" flag, read the console,
count network requests, evaluate JavaScript and take a PNG screenshot.

Run as a script to screenshot a report (how docs/report.png is made):
    python tests/report/headless.py OUT/report.html docs/report.png [--height 2400]
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

CHROMIUM = "/usr/bin/chromium"
# The flags this machine's notes give for headless Chromium with no network; without the
# background-networking ones Chromium keeps trying (and failing) to reach Google.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
)


class BrowserError(RuntimeError):
    pass


def _high_fd(fd: int) -> int:
    """A duplicate of `fd` numbered 10 or more (the original is closed)."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return high


class Browser:
    """One Chromium process with one page, spoken to over the DevTools pipe."""

    def __init__(self, executable: str = CHROMIUM, width: int = 1280, height: int = 900) -> None:
        self.profile = tempfile.mkdtemp(prefix="thresher-chromium-")
        self.log_path = Path(self.profile) / "stderr.log"
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()
        # Move the child's ends above 9 so the shell's `3<&N 4>&M` cannot clobber one with the other.
        to_browser_read, from_browser_write = (_high_fd(to_browser_read), _high_fd(from_browser_write))
        command = [
            executable,
            *FLAGS,
            f"--user-data-dir={self.profile}",
            f"--window-size={width},{height}",
            "about:blank",
        ]
        # bash (dash cannot name fds above 9) puts the pipe ends on fds 3 and 4, where Chromium expects them.
        script = f'exec "$0" "$@" 3<&{to_browser_read} 4>&{from_browser_write}'
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                ["/bin/bash", "-c", script, *command],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                pass_fds=(to_browser_read, from_browser_write),
            )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    # -- protocol --------------------------------------------------------------------------
    def send(
        self, method: str, params: dict[str, Any] | None = None, *, session: bool = True, timeout: float = 30.0
    ) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session is not None:
            message["sessionId"] = self.session
        try:
            os.write(self._to_browser, orjson.dumps(message) + b"\0")
        except BrokenPipeError as error:
            raise BrowserError(f"Chromium is gone (exit {self.process.poll()}); its log: {self.log_tail()}") from error
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"Chromium did not answer in time; its log: {self.log_tail()}")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise BrowserError(f"Chromium closed the pipe; its log: {self.log_tail()}")
                self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return orjson.loads(message)

    def pump(self, seconds: float) -> None:
        """Collect events for a while (a page's late console messages, say)."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.append(self._read(deadline))
        except BrowserError:
            if self.process.poll() is not None:
                raise

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return "(no log)"

    # -- page ------------------------------------------------------------------------------
    def open(self, url: str, width: int = 1280, height: int = 900) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)[
            "sessionId"
        ]
        for domain in ("Runtime", "Log", "Page", "Network"):
            self.send(f"{domain}.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        self.send("Page.navigate", {"url": url})

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            self.pump(0.2)
        raise BrowserError(f"timed out waiting for {expression!r}")

    def console_errors(self) -> list[str]:
        """Uncaught exceptions, console.error/assert calls and error-level log entries."""
        errors = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                errors.append(f"exception: {details.get('exception', {}).get('description') or details.get('text')}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                args = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
                errors.append(f"console.{params['type']}: {args}")
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                errors.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}")
        return errors

    def requests(self) -> list[str]:
        """Every URL the page asked for (the report itself is the only one expected)."""
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]

    def screenshot(self, path: Path, width: int = 1280, height: int | None = None, top: int = 0) -> Path:
        """A PNG of the page: the whole page, or `height` pixels of it from `top` down."""
        metrics = self.send("Page.getLayoutMetrics")
        full = int(metrics.get("cssContentSize", metrics.get("contentSize", {})).get("height", 900))
        shot_height = min(full - top, height) if height else full - top
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": full, "deviceScaleFactor": 1, "mobile": False},
        )
        self.pump(0.3)
        clip = {"x": 0, "y": top, "width": width, "height": shot_height, "scale": 1}
        data = self.send("Page.captureScreenshot", {"format": "png", "clip": clip, "captureBeyondViewport": True})[
            "data"
        ]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        try:
            if self.process.poll() is None:
                self.send("Browser.close", session=False, timeout=5)
        except (BrowserError, OSError):
            pass
        finally:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            for fd in (self._to_browser, self._from_browser):
                try:
                    os.close(fd)
                except OSError:
                    pass
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# Per plot: is there an <svg> with a real size and drawn marks? Run in the page.
PLOT_CHECK = """
Array.from(document.querySelectorAll('.plot[data-plot]')).map(function (el) {
  var svg = el.querySelector('svg');
  var box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  var marks = svg ? svg.querySelectorAll('g.mark-rect path, g.mark-rect rect, g.mark-rule line, g.mark-text text,'
                                         + ' g.role-mark path').length : 0;
  return {id: el.id, svg: !!svg, width: box.width, height: box.height, marks: marks,
          rendered: el.getAttribute('data-rendered') === 'true'};
})
"""


def main() -> None:
    parser = argparse.ArgumentParser(description="Screenshot a Thresher report with headless Chromium.")
    parser.add_argument("report", type=Path)
    parser.add_argument("png", type=Path)
    parser.add_argument("--height", type=int, default=None, help="crop to N pixels high")
    parser.add_argument("--top", type=int, default=0, help="start the crop N pixels down the page")
    args = parser.parse_args()
    with Browser() as browser:
        browser.open(args.report.resolve().as_uri())
        state = browser.wait_for("window.thresherReport && window.thresherReport.done && window.thresherReport")
        browser.screenshot(args.png, height=args.height, top=args.top)
        print(f"{args.png}: {state['rendered']}/{state['expected']} plots; errors: {browser.console_errors()}")


if __name__ == "__main__":
    main()
