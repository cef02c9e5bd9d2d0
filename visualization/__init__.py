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

The hooks warning is raised once, when Mesa's visualization is first imported, so that import
is made inside :func:`mesa_hooks_warning_silenced` (``visualization/components.py``,
``visualization/app.py``): a filter installed only at the package's import does not survive a
caller that restores the warning filters in between, as pytest does after collecting a test
module, and the warning then showed under pytest.
"""
import warnings
from contextlib import contextmanager

__all__ = ["PAGE_TITLE", "ALLOW_LARGE_ENV", "mesa_hooks_warning_silenced"]

#: The page's title (browser tab and app bar).
PAGE_TITLE = "AI credit: watch the contagion spread"
#: Set to ``1`` in the server's environment by ``aicredit viz --allow-large``: visitors may
#: then choose the large economies (:func:`visualization.levers.large_allowed`).
ALLOW_LARGE_ENV = "AICREDIT_VIZ_ALLOW_LARGE"

#: Solara's rules-of-hooks warning about Mesa 3.3.1's own ``ComponentsView``.
_MESA_HOOKS_WARNING = r"(?s).*mesa[/\\]visualization[/\\]solara_viz\.py:\d+: ComponentsView: "

warnings.filterwarnings("ignore", category=UserWarning, message=_MESA_HOOKS_WARNING)
warnings.filterwarnings("ignore", category=UserWarning,
                        message=r"Cookies with samesite=none require https, but according to the asgi")


@contextmanager
def mesa_hooks_warning_silenced():
    """Import Mesa's visualization inside this block: Solara's hooks warning about Mesa's
    ``ComponentsView`` is ignored whatever the warning filters outside, other warnings show."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, message=_MESA_HOOKS_WARNING)
        yield
