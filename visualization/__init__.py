"""The browser view of the model (Mesa SolaraViz): ``aicredit viz`` serves ``visualization/app.py``.

The chart definitions it shares with the run report are :mod:`models.charts` (in the model
layer, so the report never imports the app); :mod:`visualization.figures` holds the network
figure (no Solara needed); :mod:`visualization.components` the Solara components;
:mod:`visualization.server` the ``aicredit viz`` subcommand.

Importing the package silences two known warnings, and only them, which a user of the
page can do nothing about: Solara's check of the rules of hooks flags Mesa 3.3.1's own
``ComponentsView`` (``mesa/visualization/solara_viz.py``) when Mesa's visualization is
imported (8 lines on every server start), and Solara's server warns on every page served
over http from an address other than ``localhost`` (such as the default 127.0.0.1) that
session cookies fall back to ``samesite=lax``, which matters only when the page is embedded
in an iframe of another site (11 lines). Other warnings still show.
"""
import warnings

__all__ = ["PAGE_TITLE", "ALLOW_LARGE_ENV"]

#: The page's title (browser tab and app bar).
PAGE_TITLE = "AI credit: watch the contagion spread"
#: Set to ``1`` in the server's environment by ``aicredit viz --allow-large``: visitors may
#: then choose the large economies (:func:`visualization.levers.large_allowed`).
ALLOW_LARGE_ENV = "AICREDIT_VIZ_ALLOW_LARGE"

warnings.filterwarnings("ignore", category=UserWarning,
                        message=r"(?s).*mesa[/\\]visualization[/\\]solara_viz\.py:\d+: ComponentsView: ")
warnings.filterwarnings("ignore", category=UserWarning,
                        message=r"Cookies with samesite=none require https, but according to the asgi")
