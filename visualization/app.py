"""The browser app: ``aicredit viz`` (or ``solara run visualization/app.py``) serves it.

Built on Mesa's SolaraViz. Each browser session gets its own model (built inside
``Page()`` with ``solara.use_memo``; a model made at module level would be shared by every
visitor). The sidebar holds Mesa's controls (Reset, play, Step) and the levers; Reset
builds a new model from them. A value the model rejects is shown on the page and the model
is rebuilt from the last accepted values (see :class:`visualization.levers.VizModel`).
Sliders show their values (:data:`SLIDER_CSS`) and the page is titled
(:data:`visualization.PAGE_TITLE`).
"""
from __future__ import annotations

import solara

from aicredit.visualization import PAGE_TITLE, mesa_hooks_warning_silenced
from aicredit.visualization.components import COMPONENTS
from aicredit.visualization.levers import VizModel, VizSession, model_params

TITLE = PAGE_TITLE

#: Mesa's lever sliders show their value only while dragged (Vuetify's thumb label, which
#: Mesa does not let us set to "always"): keep the thumb label shown, so every slider reads
#: its value at a glance; and put each slider under its label, across the sidebar's width
#: (beside a long label it was a few pixels wide), with room between them for the value.
SLIDER_CSS = """
.v-slider__thumb-label-container { display: block !important; }
.v-input__slider .v-input__slot { flex-wrap: wrap; }
.v-input__slider .v-input__slot > .v-label { flex: 0 0 100%; margin: 0 0 34px 0; }
"""


@solara.component
def Page():
    with mesa_hooks_warning_silenced():      # see the package docstring
        from mesa.visualization import SolaraViz

    session = solara.use_memo(VizSession, [])
    model = solara.use_memo(lambda: VizModel(session=session), [])
    params = solara.use_memo(lambda: model_params(session), [])
    solara.Title(PAGE_TITLE)
    solara.Style(SLIDER_CSS)
    SolaraViz(model, components=COMPONENTS, model_params=params, name=PAGE_TITLE, play_interval=100)
