"""Opens an HTML report in headless Chromium and fails on console errors or broken images.

python ci/check_report.py REPORT.html SCREENSHOT.png

Drives Chromium over the DevTools protocol (one websocket, no browser download): loads the
page from disk, collects console errors, uncaught exceptions, error log entries (a resource
that failed to load logs one) and failed network loads, then checks in the page that every
<img> decoded, that every chart (inline <svg> in a <figure>) has a size, and that the
summary table is there. Saves a full-page screenshot. Exit status 1 on any problem, 2 when
the browser cannot be driven.

Needs: /usr/bin/chromium (Debian's package) and the `websockets` package (ci/requirements.txt).
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from websockets.sync.client import connect

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
    "--window-size=1300,900",
]


class Cdp:
    """A minimal DevTools-protocol client: commands wait for their reply, events queue up."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None, timeout=60):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + timeout
        while True:
            m = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait_for(self, method, timeout):
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == method:
                    return self.events.pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                self.events.append(json.loads(self.ws.recv(timeout=left)))
            except TimeoutError:
                return None

    def drain(self, seconds):
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                self.events.append(json.loads(self.ws.recv(timeout=left)))
            except TimeoutError:
                break


def problems_in(events):
    out = []
    for e in events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            out.append(f"console.{p['type']}: {text}")
        elif m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            out.append(f"uncaught exception: {d.get('exception', {}).get('description') or d.get('text')}")
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            entry = p["entry"]
            out.append(f"log error ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".strip())
        elif m == "Network.loadingFailed" and not p.get("canceled"):
            out.append(f"failed to load: {p.get('errorText')} (request {p.get('requestId')})")
    return out


CHECK_JS = """JSON.stringify({
  images: document.images.length,
  broken: [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.currentSrc || i.src || '(no src)'),
  charts: document.querySelectorAll('figure svg').length,
  empty_charts: [...document.querySelectorAll('figure svg')].filter(s => {
      const r = s.getBoundingClientRect(); return r.width < 50 || r.height < 50; }).map(s => s.closest('figure').id),
  summary_tables: document.querySelectorAll('table.summary').length,
  height: Math.ceil(document.documentElement.scrollHeight),
})"""


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    report = Path(sys.argv[1]).resolve()
    shot = Path(sys.argv[2])
    if not report.is_file():
        print(f"check_report: {report} does not exist")
        return 1
    profile = tempfile.mkdtemp(prefix="chromium-check-")
    proc = subprocess.Popen(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.is_file() and len(port_file.read_text().split()) >= 2):
            if proc.poll() is not None or time.monotonic() > deadline:
                print("check_report: Chromium did not start (no DevToolsActivePort)")
                return 2
            time.sleep(0.2)
        port, path = port_file.read_text().split()[:2]
        with connect(f"ws://127.0.0.1:{port}{path}", max_size=None, open_timeout=30) as ws:
            return check(Cdp(ws), report, shot)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)


def check(cdp, report, shot):
    """Loads the report in a new tab; returns the exit status."""
    target = cdp.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    s = cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Runtime", "Log", "Page", "Network"):
        cdp.send(f"{domain}.enable", session=s)
    cdp.events.clear()
    cdp.send("Page.navigate", {"url": report.as_uri()}, session=s)
    if cdp.wait_for("Page.loadEventFired", 120) is None:
        print("check_report: the page did not finish loading within 120 s")
        return 1
    cdp.drain(1.0)
    res = cdp.send("Runtime.evaluate", {"expression": CHECK_JS, "returnByValue": True}, session=s)
    facts = json.loads(res["result"]["value"])
    problems = problems_in(cdp.events)
    problems += [f"broken image: {src}" for src in facts["broken"]]
    problems += [f"chart without size: {fid}" for fid in facts["empty_charts"]]
    if facts["charts"] == 0:
        problems.append("no chart in the page")
    if facts["summary_tables"] == 0:
        problems.append("no summary table in the page")
    # Full-page screenshot (capped at 16,000 px high).
    height = min(max(facts["height"], 900), 16000)
    cdp.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1300, "height": height, "deviceScaleFactor": 1, "mobile": False},
        session=s,
    )
    png = cdp.send("Page.captureScreenshot", {"format": "png"}, session=s, timeout=120)["data"]
    shot.parent.mkdir(parents=True, exist_ok=True)
    shot.write_bytes(base64.b64decode(png))
    print(
        f"check_report: {report.name}: {facts['charts']} charts, {facts['images']} images, "
        f"{facts['summary_tables']} summary tables; screenshot {shot}"
    )
    for p in problems:
        print(f"check_report: PROBLEM: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
