"""``aicredit viz``: serve the browser app (``visualization/app.py``) through Solara.

Bound to 127.0.0.1 unless ``--host`` says otherwise. Solara is not imported here (only
looked up), so the base install (without the ``viz`` extra) still has a working CLI and a
mistake such as ``--port abc`` is reported before anything heavy loads.

The server runs quietly and offline: Solara's check of PyPI for a newer version (which would
advise upgrading the pinned version that renders offline) and its telemetry are switched
off, and the page is titled. On POSIX the Solara server takes the place of the ``aicredit
viz`` process (``exec``), so a signal to it (``kill`` = SIGTERM, Ctrl-C) stops the server
itself and leaves no process listening behind.

The large ``synthetic`` economy can be chosen on the page only when the server is started
with ``--allow-large`` (:data:`ALLOW_LARGE_ENV`, read by :mod:`visualization.levers`).
"""
from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path

from aicredit.visualization import ALLOW_LARGE_ENV, PAGE_TITLE

__all__ = ["APP", "add_arguments", "run", "serve", "solara_command", "server_env"]

APP = Path(__file__).with_name("app.py")
DEFAULT_PORT = 8765


def add_arguments(parser) -> None:
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only; "
                             "0.0.0.0 exposes the app to the network)")
    parser.add_argument("--port", default=DEFAULT_PORT, type=str,
                        help=f"port to listen on (default {DEFAULT_PORT})")
    parser.add_argument("--open", action="store_true", help="open the page in a web browser")
    parser.add_argument("--allow-large", action="store_true",
                        help="let visitors choose the large economies (the 'synthetic' scenario: "
                             "minutes and gigabytes per session)")


def _port(text) -> int:
    from aicredit.models.cli import UsageError
    try:
        port = int(str(text))
    except ValueError:
        raise UsageError(f"--port must be a whole number, got {text!r}") from None
    if not 1 <= port <= 65535:
        raise UsageError(f"--port must be between 1 and 65535, got {port}")
    return port


def _check_free(host: str, port: int) -> None:
    from aicredit.models.cli import UsageError
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UsageError(f"--host {host!r} is not an address this machine can listen on "
                         f"({exc.strerror})") from None
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as exc:
            raise UsageError(f"cannot listen on {host}:{port} ({exc.strerror}); "
                             f"is another server using it? Try --port") from None


def solara_command(host: str, port: int, open_browser: bool = False) -> list[str]:
    """The ``solara run`` command line that serves the app (no PyPI version check)."""
    cmd = [sys.executable, "-m", "solara", "run", str(APP), "--host", host, "--port", str(port),
           "--production", "--no-check-version"]
    if not open_browser:
        cmd.append("--no-open")
    return cmd


def server_env(allow_large: bool = False, base: dict | None = None) -> dict:
    """The server's environment: ``base`` (default ``os.environ``) with Solara's telemetry
    off, the page title set, this checkout importable and the large-economy switch."""
    env = dict(os.environ if base is None else base)
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "false")
    env["SOLARA_THEME_TITLE"] = PAGE_TITLE                 # the page's <title> before it renders
    root = str(APP.parent.parent)                          # so `visualization` imports in the server
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if allow_large:
        env[ALLOW_LARGE_ENV] = "1"
    else:
        env.pop(ALLOW_LARGE_ENV, None)
    return env


def serve(cmd: list[str], env: dict) -> int:
    """Run the server: in this process's place on POSIX (signals reach it directly), as a
    child elsewhere."""
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execve(cmd[0], cmd, env)                        # does not return
    try:
        return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return 0


def run(args) -> int:
    from aicredit.models.cli import UsageError
    port = _port(args.port)
    for name in ("solara", "mesa.visualization"):
        if importlib.util.find_spec(name.split(".")[0]) is None or importlib.util.find_spec(name) is None:
            raise UsageError(f"aicredit viz needs the browser extras ({name} is missing): "
                             f"pip install 'aicredit[viz]'")
    _check_free(args.host, port)
    print(f"aicredit viz: serving the model at http://{args.host}:{port}/ (Ctrl-C to stop)"
          + ("; large economies allowed" if args.allow_large else ""), file=sys.stderr)
    return serve(solara_command(args.host, port, args.open),
                  server_env(allow_large=args.allow_large))
