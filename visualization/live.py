"""The page's pictures as PNG bytes, redrawn cheaply from one step to the next.

Drawing a matplotlib figure is mostly drawing its text (tick labels, legends, node labels),
and that text rarely changes between two months: the time series keep a fixed month axis
(``0..run length``) and y-limits rounded out to tick values, the network keeps its labels
and legend. So :class:`Blitter` draws a figure's *static* layer (everything but the data)
once, keeps those pixels, and each later step restores them and draws only the data
artists (lines, bars, areas, edges, nodes, spines) on top; it redraws the static layer
whenever anything in it changed (limits, scale, labels, legend, texts). The data artists
are drawn in the order a full draw would use, and the figure builders keep static artists
under the data (zorder < 1), so the picture is the one a full draw gives (the tests
compare the pixels).

:class:`LivePage` holds one blitter per picture for one model (one browser session), and
builds each picture once per step (the Solara components ask it through ``use_memo``).
PNG (Agg, 96 dpi for the charts) is used rather than SVG: a few kB per chart, and the
browser decodes it without parsing thousands of glyph paths.
"""
from __future__ import annotations

import io
import weakref

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from aicredit.models import charts as C
from aicredit.visualization import figures as F

__all__ = ["Blitter", "LivePage", "live_page", "encode_png", "CHART_DPI", "NETWORK_DPI",
           "CHART_SIZE", "NETWORK_SIZE"]

CHART_DPI = 96          # 480 x 240 px for a (5.0, 2.5) inch chart: the size the SVG had
NETWORK_DPI = 80
CHART_SIZE = (5.0, 2.5)
NETWORK_SIZE = (5.6, 4.4)
LOSSES_DPI = 96


def encode_png(canvas: FigureCanvasAgg) -> bytes:
    """The canvas's pixels as PNG (fast zlib level; the pictures are small)."""
    from PIL import Image
    w, h = canvas.get_width_height(physical=True)
    img = Image.frombuffer("RGBA", (w, h), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="png", compress_level=1)
    return buf.getvalue()


def _layers(fig: Figure) -> tuple[list, list]:
    """(data artists in full-draw order, overlay artists: texts and legends over the data)."""
    data, overlay = [], []
    for ax in sorted(fig.axes, key=lambda a: a.get_zorder()):      # stable: add order
        spines = ax.spines.values() if ax.axison else ()
        arts = [a for a in (*ax.lines, *ax.collections, *ax.patches, *spines)
                if a.get_zorder() >= 1]
        data += sorted(arts, key=lambda a: a.get_zorder())
        overlay += [t for t in ax.texts if t.get_zorder() >= 1]
        leg = ax.get_legend()
        if leg is not None and _inside(leg, ax):
            overlay.append(leg)
    return data, overlay


def _inside(legend, ax) -> bool:
    """Whether data could be drawn under a legend: not when it is anchored above the axes
    (the charts' legend strip); the network's legend in its corner counts as inside."""
    return legend.get_bbox_to_anchor().y0 < ax.bbox.y1 - 0.5


def _static_key(fig: Figure, dpi: float) -> tuple:
    """Everything that decides the static layers' pixels."""
    key = [tuple(fig.get_size_inches()), dpi]
    for ax in fig.axes:
        leg = ax.get_legend()
        key.append((ax.get_position().bounds, ax.get_xlim(), ax.get_ylim(), ax.get_xscale(),
                    ax.get_yscale(), ax.get_xlabel(), ax.get_ylabel(), ax.get_title(),
                    tuple((t.get_text(), t.get_position(), str(t.get_color()), t.get_zorder())
                          for t in ax.texts),
                    tuple(t.get_text() for t in leg.get_texts()) if leg else None,
                    tuple(a.get_zorder() for a in ax.collections + ax.lines + ax.patches
                          if a.get_zorder() < 1)))
    return tuple(key)


def _pixels(canvas) -> np.ndarray:
    return np.asarray(canvas.buffer_rgba())


class Blitter:
    """Renders successive versions of one figure, redrawing the static layers only on change.

    The background (axes, ticks, labels, legends outside the data area) is drawn under the
    data; the overlay (texts and legends inside the axes, e.g. the network's node labels)
    is drawn once on a transparent canvas and laid over the data.
    """

    def __init__(self):
        self.key = None
        self.background = None
        self.overlay = None            # (row/col index of covered pixels, rgb, alpha)
        self.full_draws = 0
        self.blits = 0

    def _draw_static(self, fig, canvas, data, overlay):
        saved = [(a, a.get_visible()) for a in (*data, *overlay)]
        for a in (*data, *overlay):
            a.set_visible(False)
        canvas.draw()
        self.background = canvas.copy_from_bbox(fig.bbox)
        self.overlay = None
        if overlay:
            keep = set(map(id, overlay))
            others = [fig.patch] + [c for ax in fig.axes for c in ax.get_children()
                                    if id(c) not in keep] + [c for c in fig.get_children()
                                                            if c not in fig.axes]
            saved += [(a, a.get_visible()) for a in others]
            for a in others:
                a.set_visible(False)
            for a in overlay:
                a.set_visible(True)
            canvas.draw()
            px = _pixels(canvas)
            idx = np.nonzero(px[..., 3])
            alpha = px[idx][:, 3:4].astype(np.float32) / 255.0
            self.overlay = (idx, px[idx][:, :3].astype(np.float32) * alpha, 1.0 - alpha)
        for a, v in reversed(saved):           # the first record of an artist wins
            a.set_visible(v)
        self.full_draws += 1

    def render(self, fig: Figure, dpi: float) -> bytes:
        fig.set_dpi(dpi)
        canvas = FigureCanvasAgg(fig)
        data, overlay = _layers(fig)
        key = _static_key(fig, dpi)
        if key != self.key or self.background is None:
            self._draw_static(fig, canvas, data, overlay)
            self.key = key
        else:
            self.blits += 1
        renderer = canvas.get_renderer()
        renderer.restore_region(self.background)
        for a in data:
            if a.get_visible():
                a.draw(renderer)
        if self.overlay is not None:
            idx, rgb, rest = self.overlay
            px = _pixels(canvas)
            px[idx + (slice(0, 3),)] = np.clip(rgb + px[idx][:, :3] * rest + 0.5, 0, 255).astype(np.uint8)
        return encode_png(canvas)


def full_render(fig: Figure, dpi: float) -> bytes:
    """The figure drawn whole (what :class:`Blitter` must reproduce)."""
    fig.set_dpi(dpi)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return encode_png(canvas)


class LivePage:
    """The pictures of one model, each built once per step."""

    def __init__(self, model):
        self._model = weakref.ref(model)
        self.blitters: dict[str, Blitter] = {}
        self._cache: dict[str, tuple] = {}

    def _memo(self, name: str, key, build):
        hit = self._cache.get(name)
        if hit is not None and hit[0] == key:
            return hit[1]
        value = build()
        self._cache[name] = (key, value)
        return value

    def _blit(self, name: str, fig: Figure, dpi: float) -> bytes:
        return self.blitters.setdefault(name, Blitter()).render(fig, dpi)

    def graph(self):
        m = self._model()
        return self._memo("graph", m.steps, lambda: F.exposure_graph(m))

    def network_png(self) -> bytes:
        m = self._model()
        return self._memo("network_png", m.steps, lambda: self._blit(
            "network", F.network_figure(self.graph(), figsize=NETWORK_SIZE), NETWORK_DPI))

    def losses_png(self) -> bytes:
        """Redrawn only when the losses changed (often they stay at zero for months)."""
        by = dict(self._model().losses.by_category)
        key = tuple(sorted((k, float(v)) for k, v in by.items()))
        return self._memo("losses_png", key, lambda: full_render(
            C.losses_figure(by, figsize=CHART_SIZE), LOSSES_DPI))

    def frame(self):
        m = self._model()
        return self._memo("frame", m.steps, lambda: m.datacollector.get_model_vars_dataframe())

    def chart_png(self, key: str) -> bytes:
        m = self._model()
        chart = C.chart(key)

        def build():
            fig = chart.figure(self.frame(), figsize=CHART_SIZE, x_max=m.p.steps, snap=True,
                               **chart.options(m))
            return self._blit(key, fig, CHART_DPI)
        return self._memo("chart_" + key, m.steps, build)


_pages: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def live_page(model) -> LivePage:
    """The :class:`LivePage` of ``model`` (one per model, so per browser session)."""
    page = _pages.get(model)
    if page is None:
        page = _pages[model] = LivePage(model)
    return page
