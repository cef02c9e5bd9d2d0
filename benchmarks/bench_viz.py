"""Per-step render time of the browser page, server side and (optionally) in Chromium.

    python benchmarks/bench_viz.py                 # server side, baseline, 24 steps
    python benchmarks/bench_viz.py --browser       # also click Step in headless Chromium
    python benchmarks/bench_viz.py --steps 12 --repeat 3

Server side: for each step of the baseline, the time to build each picture of the page as
the page does (``visualization.live``: cached axes/labels, data redrawn, PNG), next to the
old way (a fresh figure drawn whole: SVG for the charts and losses, PNG for the network),
and the whole page re-render in process (``solara.render`` and a click on Step: model step,
Solara reconciliation and all pictures). Browser: Solara served on a free loopback port,
Debian Chromium via Playwright, time from a click on Step to the new month's text and
every chart's text line on the page. Medians over steps (and repeats); the machine may be
busy with other jobs, so compare medians, not single steps.
"""
from __future__ import annotations

import argparse
import io
import os
import statistics as st
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aicredit.visualization import figures as F  # noqa: E402
from aicredit.visualization import live as L  # noqa: E402
from aicredit.visualization.levers import VizModel  # noqa: E402

_DONE = ("([text, n]) => document.querySelectorAll('.aicredit-latest').length >= n && "
    "[...document.querySelectorAll('.aicredit-step')].some(e => e.innerText.includes(text))")


def _old_way(m) -> dict[str, float]:
    """The pictures built as before: fresh figures, each drawn whole (SVG / PNG)."""
    out = {}

    def save(fig, fmt, **kw):
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, **kw)
        return buf.getvalue()

    t0 = time.perf_counter()
    g = F.exposure_graph(m)
    save(F.network_figure(g, figsize=L.NETWORK_SIZE), "png", dpi=80)
    out["network"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    save(F.losses_figure(dict(m.losses.by_category)), "svg")
    out["losses"] = time.perf_counter() - t0
    df = m.datacollector.get_model_vars_dataframe()
    for c in F.CHARTS:
        opts = c.options(m)
        t0 = time.perf_counter()
        save(c.figure(df, **opts), "svg")
        out[c.key] = time.perf_counter() - t0
    return out


def _new_way(page: L.LivePage) -> dict[str, float]:
    out = {}
    t0 = time.perf_counter()
    page.network_png()
    out["network"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    page.losses_png()
    out["losses"] = time.perf_counter() - t0
    for c in F.CHARTS:
        t0 = time.perf_counter()
        page.chart_png(c.key)
        out[c.key] = time.perf_counter() - t0
    return out


def server_side(scenario: str, steps: int, repeat: int) -> None:
    old, new = {}, {}
    for _ in range(repeat):
        m = VizModel(scenario, seed=0)
        page = L.live_page(m)
        page.chart_png("nav")                         # step 0 drawn, as the page does
        for _ in range(steps):
            m.step()
            for k, v in _old_way(m).items():
                old.setdefault(k, []).append(v)
            for k, v in _new_way(page).items():
                new.setdefault(k, []).append(v)
    print(f"\nserver side, {scenario}, {steps} steps x {repeat}: median ms per step")
    print(f"{'picture':12s} {'before':>8s} {'now':>8s}")
    for k in old:
        print(f"{k:12s} {1000 * st.median(old[k]):8.1f} {1000 * st.median(new[k]):8.1f}")
    tot_old = [sum(v[i] for v in old.values()) for i in range(len(old["network"]))]
    tot_new = [sum(v[i] for v in new.values()) for i in range(len(new["network"]))]
    print(f"{'all (sum)':12s} {1000 * st.median(tot_old):8.1f} {1000 * st.median(tot_new):8.1f}")


def in_process(steps: int) -> None:
    import ipyvuetify as v
    import solara

    from aicredit.visualization.app import Page
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
        step = rc.find(v.Btn, children=["Step"]).widget
        times = []
        for _ in range(steps):
            t0 = time.perf_counter()
            step.click()
            times.append(time.perf_counter() - t0)
        rc.close()
    print(f"\nin process (model step + Solara re-render + pictures), {steps} clicks: median "
          f"{1000 * st.median(times):.0f} ms (min {1000 * min(times):.0f}, max {1000 * max(times):.0f})")


def browser(steps: int) -> None:
    import socket
    import subprocess

    from playwright.sync_api import sync_playwright
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="false",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "solara", "run", str(ROOT / "visualization" / "app.py"),
                             "--host", "127.0.0.1", "--port", str(port), "--production", "--no-open"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=os.environ.get("AICREDIT_CHROMIUM", "/usr/bin/chromium"),
                                   args=["--headless", "--no-sandbox", "--disable-gpu"])
            pg = b.new_page(viewport={"width": 1600, "height": 1300})
            deadline = time.time() + 40
            while True:
                try:
                    pg.goto(f"http://127.0.0.1:{port}/", timeout=5000)
                    break
                except Exception:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.5)
            pg.get_by_text("Month 0 of").first.wait_for(timeout=40000)
            n = pg.locator(".aicredit-chart").count()
            times = []
            for i in range(1, steps + 1):
                t0 = time.perf_counter()
                pg.get_by_role("button", name="Step").click()
                pg.wait_for_function(_DONE, arg=[f"Month {i} of", n], polling="raf", timeout=15000)
                times.append(time.perf_counter() - t0)
            b.close()
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"\nbrowser (click Step to redrawn page, headless Chromium), {steps} steps: median "
          f"{1000 * st.median(times):.0f} ms; all: {' '.join(f'{1000 * t:.0f}' for t in times)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenario", default="baseline")
    ap.add_argument("--steps", type=int, default=24)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--browser", action="store_true", help="also time clicks in headless Chromium")
    a = ap.parse_args()
    server_side(a.scenario, a.steps, a.repeat)
    in_process(a.steps)
    if a.browser:
        browser(a.steps)


if __name__ == "__main__":
    main()
