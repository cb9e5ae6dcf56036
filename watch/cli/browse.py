"""`techwatch browse`: explore the archive read-only in Datasette (registered by cli/main.py)."""

from __future__ import annotations

from pathlib import Path

import click

from ..http.loopback import is_loopback_host
from ..query import browse as browse_mod
from .options import config_options, handle_errors, load


@click.command("browse")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback (e.g. 0.0.0.0) lets anyone who can reach the "
                   "port read the archive.")
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--open/--no-open", "open_browser", default=False, show_default=True,
              help="Open the archive in a web browser.")
@config_options
@handle_errors
def browse(host: str, port: int, open_browser: bool, config_path: Path, db: Path | None) -> None:
    """Serve the archive read-only in Datasette: tables and views described, full-text search, canned queries."""
    config = load(config_path, db)
    database = config.settings.database
    if not is_loopback_host(host):
        # Datasette has no login: whoever reaches the port reads every item, source and digest.
        click.echo(f"warning: --host {host} is not a loopback address: the whole archive is then readable, without "
                   f"a password, by anyone who can reach port {port} of this machine", err=True)
    click.echo(f"techwatch browse: serving {database} read-only at http://{host}:{port}/ ; stop with Ctrl-C")
    stopped_by = browse_mod.browse(database, host=host, port=port, open_browser=open_browser)
    if stopped_by:
        click.echo(f"techwatch browse: {stopped_by} received, Datasette stopped", err=True)
