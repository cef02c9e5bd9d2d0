"""The browser app: ``aicredit viz`` (or ``solara run visualization/app.py``) serves it.

Built on Mesa's SolaraViz. Each browser session gets its own model (built inside
``Page()`` with ``solara.use_memo``; a model made at module level would be shared by every
visitor). The sidebar holds Mesa's controls (Reset, play, Step) and the levers; Reset
builds a new model from them. A value the model rejects is shown on the page and the model
is rebuilt from the last accepted values (see :class:`visualization.levers.VizModel`).
"""
from __future__ import annotations

import solara
from mesa.visualization import SolaraViz

from visualization.components import COMPONENTS
from visualization.levers import VizModel, VizSession, model_params

TITLE = "AI credit: watch the contagion spread"


@solara.component
def Page():
    session = solara.use_memo(VizSession, [])
    model = solara.use_memo(lambda: VizModel(session=session), [])
    params = solara.use_memo(lambda: model_params(session), [])
    SolaraViz(model, components=COMPONENTS, model_params=params, name=TITLE, play_interval=100)
