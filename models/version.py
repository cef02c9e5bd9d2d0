"""The version of aicredit: one place, read by ``setup.py`` (without importing the package),
``aicredit --version`` and :data:`models.report.MODEL_VERSION`.

It is also the *model* version stamped on every sweep run's identity and on ``summary.json``:
bump it (and add a CHANGELOG entry) whenever a change alters results, so that a sweep resumed
after the change does not mix old and new runs. A restructure that leaves results unchanged
(``python scripts/fingerprint.py compare``) does not need a bump.
"""

__all__ = ["__version__"]

__version__ = "0.7.0"
