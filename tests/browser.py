"""Headless Chromium driven through the DevTools protocol, for tests that interact with a page.

Chromium (the Debian package) speaks the protocol over a pipe (`--remote-debugging-pipe`: it reads
commands on descriptor 3 and writes answers on 4, each a JSON object ended by a NUL byte), so it
needs no port and runs in its own network namespace with no network at all when `unshare` allows.
No Playwright, no browser download: a few protocol commands (Page, Runtime, Input, Emulation).
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from tests.test_report import CHROMIUM, HEADLESS

TIMEOUT = 120.0  # seconds a command or a page may take on a loaded machine


class Tab:
    """One page of the browser: navigate, evaluate scripts, type, click, emulate a screen or print."""

    def __init__(self, browser: Browser, session: str) -> None:
        self.browser, self.session = browser, session

    def send(self, method: str, **params: object) -> dict[str, Any]:
        return self.browser.send(method, self.session, **params)

    def evaluate(self, expression: str) -> Any:
        """The value of a script expression (awaited if it is a promise), or the script's error raised."""
        answer = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in answer:
            raise AssertionError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def wait_for(self, expression: str) -> Any:
        """Poll `expression` until it is truthy (a page loading, a list filling in); its value."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except AssertionError:  # the page is between documents
                value = None
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"never true: {expression}")

    def open(self, url: str) -> None:
        """Load `url` and wait until its scripts have run."""
        self.send("Page.navigate", url=url)
        self.loaded(url.partition("#")[0])

    def loaded(self, url: str) -> None:
        """Wait until the document at `url` (without its fragment) has loaded."""
        self.wait_for(f"location.href.split('#')[0] === {json.dumps(url)} && document.readyState === 'complete'")

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the first element `selector` finds, scrolled into view."""
        box = self.evaluate(
            f"(function(){{var e=document.querySelector({json.dumps(selector)});e.scrollIntoView({{block:'center'}});"
            "var r=e.getBoundingClientRect();return [r.left+r.width/2,r.top+r.height/2]})()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def type(self, selector: str, text: str) -> None:
        """Focus the field `selector` and type `text` into it as a keyboard would (input events)."""
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        for letter in text:
            self.send("Input.insertText", text=letter)

    def screen(self, width: int, height: int, mobile: bool = False, media: str = "") -> None:
        """Emulate a screen `width` CSS pixels wide (a phone when `mobile`), for `media` ('print') when given."""
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=2 if mobile else 1,
            mobile=mobile,
        )
        self.send("Emulation.setEmulatedMedia", media=media)


class Browser:
    """A headless Chromium and its protocol pipe."""

    def __init__(self, profile: Path, isolated: list[str]) -> None:
        commands, self.answers = os.pipe(), os.pipe()
        # bash (dash takes no descriptor above 9) hands the pipes to Chromium as descriptors 3 and 4, as the
        # protocol wants them, from copies numbered 10 and up (a pipe that is itself 3 or 4 would be overwritten)
        reading, writing = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (commands[0], self.answers[1]))
        for fd in (commands[0], self.answers[1]):
            os.close(fd)
        command = [*isolated, str(CHROMIUM), *HEADLESS, f"--user-data-dir={profile}", "--remote-debugging-pipe"]
        self.process = subprocess.Popen(
            ["bash", "-c", f'exec "$@" 3<&{reading} 4>&{writing}', "bash", *command, "about:blank"],
            pass_fds=(reading, writing),
            stderr=subprocess.DEVNULL,
        )
        os.close(reading)
        os.close(writing)
        self.writer = commands[1]
        self.pending = b""
        self.last = 0

    def send(self, method: str, session: str | None = None, **params: object) -> dict[str, Any]:
        """Send one command and return its result (events in between are dropped: the tests poll instead)."""
        self.last += 1
        message: dict[str, object] = {"id": self.last, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.writer, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self.pending:
                if not select.select([self.answers[0]], [], [], TIMEOUT)[0]:
                    raise AssertionError(f"Chromium did not answer {method} in {TIMEOUT:.0f} s")
                chunk = os.read(self.answers[0], 1 << 20)
                if not chunk:
                    raise AssertionError(f"Chromium closed its pipe during {method}")
                self.pending += chunk
            raw, _, self.pending = self.pending.partition(b"\0")
            answer = json.loads(raw)
            if answer.get("id") == self.last:
                if "error" in answer:
                    raise AssertionError(f"{method}: {answer['error']}")
                return dict(answer["result"])

    def tab(self) -> Tab:
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        return Tab(self, self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"])

    def close(self) -> None:
        with suppress(AssertionError, OSError):
            self.send("Browser.close")
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.writer)
        os.close(self.answers[0])


@contextmanager
def chromium(profile: Path, isolated: list[str]) -> Iterator[Browser]:
    """A browser for the length of the block (`isolated`: a command prefix that takes its network away)."""
    browser = Browser(profile, isolated)
    try:
        yield browser
    finally:
        browser.close()
