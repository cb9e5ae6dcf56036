"""`techwatch schedule`: run the scheduled jobs in the foreground, or list them (registered by cli/main.py)."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import click

from .. import scheduler as scheduler_mod
from ..config import parse_interval
from .options import config_options, handle_errors, load, say


@click.command("schedule")
@click.option("--list", "list_only", is_flag=True, help="Show the scheduled jobs and their next run times, and exit.")
@click.option("--poll-every", default="15m", show_default=True,
              help="How often the poll job runs (each source still follows its own interval and backoff).")
@config_options
@handle_errors
def schedule(list_only: bool, poll_every: str, config_path: Path, db: Path | None) -> None:
    """Run the jobs in the foreground until stopped: poll, the weekly digest, daily prune, weekly maintenance."""
    config = load(config_path, db)
    try:
        every = timedelta(seconds=parse_interval(poll_every))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--poll-every") from exc
    if list_only:
        store = scheduler_mod.jobstore_path(config.settings.database)
        jobs = scheduler_mod.list_jobs(config)
        if not jobs:
            why = f"the job store {store} holds no jobs" if store.exists() else f"not started yet: no job store {store}"
            say(f"No jobs scheduled ({why}); `techwatch schedule` will create these:")
            jobs = scheduler_mod.planned_jobs(config, poll_every=every)
        for job_id, trigger, next_run in jobs:
            when = next_run.isoformat(sep=" ", timespec="seconds") if next_run else "paused"
            say(f"{job_id:<9} next {when}  {trigger}: {scheduler_mod.describe_job(job_id, config)}")
        return
    # A long-lived process: its one line per job event is the log, whatever -v says.
    logging.getLogger("watch").setLevel(logging.INFO)
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    scheduler = scheduler_mod.schedule_jobs(config, poll_every=every, database=db)
    click.echo(f"techwatch scheduler: jobs stored in {scheduler_mod.jobstore_path(config.settings.database)}; "
               "stop with Ctrl-C or SIGTERM (the running job finishes first)")
    scheduler_mod.run_scheduler(scheduler)
