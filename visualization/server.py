"""``aicredit viz``: serve the browser app (``visualization/app.py``) through Solara.

Bound to 127.0.0.1 unless ``--host`` says otherwise. Solara is imported only when the
command runs, so the base install (without the ``viz`` extra) still has a working CLI.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

__all__ = ["APP", "add_arguments", "run", "solara_command"]

APP = Path(__file__).with_name("app.py")
DEFAULT_PORT = 8765


def add_arguments(parser) -> None:
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only; "
                             "0.0.0.0 exposes the app to the network)")
    parser.add_argument("--port", default=DEFAULT_PORT, type=str,
                        help=f"port to listen on (default {DEFAULT_PORT})")
    parser.add_argument("--open", action="store_true", help="open the page in a web browser")


def _port(text) -> int:
    from models.cli import UsageError
    try:
        port = int(str(text))
    except ValueError:
        raise UsageError(f"--port must be a whole number, got {text!r}") from None
    if not 1 <= port <= 65535:
        raise UsageError(f"--port must be between 1 and 65535, got {port}")
    return port


def _check_free(host: str, port: int) -> None:
    from models.cli import UsageError
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
    """The ``solara run`` command line that serves the app."""
    cmd = [sys.executable, "-m", "solara", "run", str(APP), "--host", host, "--port", str(port),
           "--production"]
    if not open_browser:
        cmd.append("--no-open")
    return cmd


def run(args) -> int:
    from models.cli import UsageError
    try:
        import mesa.visualization  # noqa: F401
        import solara  # noqa: F401
    except ImportError as exc:
        raise UsageError(f"aicredit viz needs the browser extras ({exc.name} is missing): "
                         f"pip install 'aicredit[viz]'") from None
    port = _port(args.port)
    _check_free(args.host, port)
    env = dict(os.environ)
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "false")
    root = str(APP.parent.parent)                     # so `visualization` imports in the server
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    print(f"aicredit viz: serving the model at http://{args.host}:{port}/ (Ctrl-C to stop)",
          file=sys.stderr)
    try:
        return subprocess.call(solara_command(args.host, port, args.open), env=env)
    except KeyboardInterrupt:
        return 0
