"""The browser view of the model (Mesa SolaraViz): ``aicredit viz`` serves ``visualization/app.py``.

:mod:`visualization.figures` holds the pure figure builders (no Solara needed);
:mod:`visualization.components` the Solara components; :mod:`visualization.server` the
``aicredit viz`` subcommand.
"""
