"""Build and install aicredit: the AI-credit agent-based model.

``pip install -e .`` compiles the Cython kernels, the GPU fire sale
(``abm/markets/fire_sale_kernel/_fire_sale.pyx``) and the loan-market clearing
(``abm/markets/loan_market_kernel/_loan_market.pyx``), and installs the ``aicredit`` command.
"""
import re
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, find_packages, setup

# The one version (models/version.py), read without importing the package.
VERSION = re.search(r'^__version__ = "([^"]+)"$',
                    (Path(__file__).parent / "models" / "version.py").read_text(), re.M).group(1)

extensions = [
    Extension(
        "aicredit.abm.markets.fire_sale_kernel._fire_sale",
        ["abm/markets/fire_sale_kernel/_fire_sale.pyx"],
        include_dirs=[np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O3"],
    ),
    Extension(
        "aicredit.abm.markets.loan_market_kernel._loan_market",
        ["abm/markets/loan_market_kernel/_loan_market.pyx"],
        include_dirs=[np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        # bit for bit the pure-Python reference: no multiply-add fused into one rounding
        extra_compile_args=["-O3", "-ffp-contract=off"],
    ),
]

setup(
    name="aicredit",
    version=VERSION,
    description="Agent-based simulation of how the financing of the AI build-out could unravel",
    python_requires=">=3.11",
    # One installed namespace, ``aicredit``: the repository keeps its folders abm/, models/ and
    # visualization/ at the top, installed as aicredit.abm, aicredit.models and
    # aicredit.visualization, so a user's own ``models/`` folder never shadows them.
    packages=["aicredit"] + [f"aicredit.{p}" for p in find_packages(
        include=["abm", "abm.*", "models", "models.*", "visualization"])],
    package_dir={"aicredit": "aicredit", "aicredit.abm": "abm", "aicredit.models": "models",
                 "aicredit.visualization": "visualization"},
    package_data={"aicredit.models": ["scenarios/*.toml"],
                  "aicredit.abm.markets.fire_sale_kernel": ["*.pyx"],
                  "aicredit.abm.markets.loan_market_kernel": ["*.pyx"],
                  "aicredit.models.validation": ["explanations.md"]},
    ext_modules=cythonize(
        extensions,
        compiler_directives={"language_level": 3, "boundscheck": False, "wraparound": False,
                             "cdivision": True, "initializedcheck": False},
    ),
    install_requires=[
        "mesa==3.3.1",
        "numpy>=1.26",
        "pandas>=2.0",
        "scipy>=1.11",
        "matplotlib>=3.7",
        "pyarrow>=14",
        "networkx>=3.0",
        "tqdm>=4.60",
    ],
    extras_require={
        # the browser app: these pins render offline (Solara's CDN is unreachable here)
        "viz": ["solara==1.58.2", "solara-assets==1.58.2", "ipyvuetify<3", "altair>=5"],
        # headless sweeps: parallel processes, a Dask cluster, sensitivity analysis
        "sweep": ["dask[distributed]>=2024.1", "SALib>=1.5"],
        # notebooks executed by the tests
        "notebooks": ["nbclient>=0.10", "nbformat>=5.9", "ipykernel>=6", "nbconvert>=7",
                      "dask[distributed]>=2024.1", "SALib>=1.5"],
        # ruff pinned to a minor release: its rules change between minors, and CI fails on lint
        # mypy pinned exactly: each release changes what it infers, and CI fails on its errors;
        # pytest-xdist runs the suite on two workers (scripts/test.sh: -n 2, groups by loadgroup)
        "test": ["pytest>=8", "ruff~=0.17.6", "mypy==2.4.1", "hypothesis>=6.100", "pytest-timeout>=2.2",
                 "pytest-xdist~=3.8",
                 "playwright>=1.40",
                 "solara==1.58.2", "solara-assets==1.58.2", "ipyvuetify<3", "altair>=5",
                 "dask[distributed]>=2024.1", "SALib>=1.5",
                 "nbclient>=0.10", "nbformat>=5.9", "ipykernel>=6"],
    },
    entry_points={
        "console_scripts": ["aicredit=aicredit.models.cli:main"],
        # models a sweep file's `model` key may name (models/sweep/common.py: MODEL_GROUP)
        "aicredit.models": ["aicredit = aicredit.models.model:AIEconomyModel"],
    },
)
