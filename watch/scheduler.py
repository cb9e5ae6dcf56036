"""The long-running scheduler: APScheduler 3.11 with a persistent SQLite job store next to the archive.

Jobs are stored by textual reference ("jobs:poll", the top-level jobs/ package) with the config path as
argument, so the store survives restarts and upgrades; each job reads feeds.yaml again when it runs.
A store written before jobs/ left watch/ names "watch.jobs:poll": such jobs are re-pointed when the
store is read, before APScheduler would drop them as unloadable (and a missed digest with them).
"""

from __future__ import annotations

import logging
import pickle
import signal
import threading
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import inspect, select

from .files import create_private
from .records import Config, DigestProfile
from .retention import describe as describe_retention

log = logging.getLogger(__name__)

POLL_EVERY = timedelta(minutes=15)
JOB_IDS = ("poll", "digest", "prune", "maintain")  # the jobs' functions; a digest job per profile (job_ids)
# APScheduler's default misfire_grace_time is 1 second: a job whose run time passed while the
# process was down, asleep or busy with another job is silently skipped. A poll may be up to an
# hour late (a later one comes anyway); the weekly digest and the housekeeping up to a day.
GRACE_SECONDS = {"poll": 3600, "digest": 86400, "prune": 86400, "maintain": 86400}
PRUNE_AT = {"hour": 3, "minute": 30}  # daily, local time
MAINTAIN_AT = {"day_of_week": "sun", "hour": 4, "minute": 0}  # weekly, local time, after the prune
# Where the jobs lived before the top-level jobs/ package: stored jobs naming them are re-pointed.
OLD_REFS = {f"watch.jobs:{job}": f"jobs:{job}" for job in JOB_IDS}
# Set on SIGTERM/SIGINT: a running poll ends at its next source or item (what is left stays for the
# next run), so a shutdown waits seconds, not a whole backlog.
STOP = threading.Event()


def jobstore_path(database: Path) -> Path:
    """The job store file, next to the archive (watch.db -> watch.jobs.sqlite)."""
    return Path(database).with_suffix(".jobs.sqlite")


def _store(database: Path) -> SQLAlchemyJobStore:
    return SQLAlchemyJobStore(url=f"sqlite:///{jobstore_path(database)}")


def make_scheduler(config: Config, scheduler_class: type[BaseScheduler] = BlockingScheduler) -> BaseScheduler:
    """A scheduler (not started, no jobs) with the persistent store and safe job defaults."""
    path = jobstore_path(config.settings.database)
    path.parent.mkdir(parents=True, exist_ok=True)
    create_private(path)  # 0600 like the archive (the jobs' arguments name its files); SQLite opens it as it is
    return scheduler_class(
        jobstores={"default": _store(config.settings.database)},
        # One worker: jobs run one after the other, so they never contend for the archive (SQLite has
        # one writer); a job that waits its turn is still run thanks to misfire_grace_time.
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        # coalesce: several missed runs of a job run once; max_instances: never two polls at once.
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": GRACE_SECONDS["poll"]},
    )


def digest_job_id(profile: DigestProfile) -> str:
    """The job id of a profile's digest: "digest" for the digest for everyone (as before profiles), else
    "digest:<name>"."""
    return "digest" if profile.is_default else f"digest:{profile.name}"


def job_ids(config: Config) -> tuple[str, ...]:
    """The ids of the jobs `techwatch schedule` runs for this config: poll, one digest per profile, prune, maintain."""
    return ("poll", *(digest_job_id(p) for p in config.profiles), "prune", "maintain")


def _job_specs(config: Config, poll_every: timedelta, database: Path | None) -> list[dict[str, Any]]:
    args = [str(Path(config.path).resolve())]
    kwargs = {"database": str(database)} if database is not None else {}
    specs = [{"id": "poll", "trigger": IntervalTrigger(seconds=int(poll_every.total_seconds())), "kwargs": kwargs}]
    for profile in config.profiles:
        hour, minute = (int(part) for part in profile.time.split(":"))
        # The digest for everyone keeps the arguments it always had, so a stored job of it still matches.
        extra = {} if profile.is_default else {"profile": profile.name}
        specs.append({"id": digest_job_id(profile), "job": "digest", "kwargs": {**kwargs, **extra},
                      "trigger": CronTrigger(day_of_week=profile.day[:3].lower(), hour=hour, minute=minute)})
    specs += [{"id": "prune", "trigger": CronTrigger(**PRUNE_AT), "kwargs": kwargs},
              {"id": "maintain", "trigger": CronTrigger(**MAINTAIN_AT), "kwargs": kwargs}]
    return [{"id": spec["id"], "name": spec["id"], "func": f"jobs:{spec.get('job', spec['id'])}",
             "trigger": spec["trigger"], "args": args, "kwargs": spec["kwargs"],
             "misfire_grace_time": GRACE_SECONDS[spec.get("job", spec["id"])]} for spec in specs]


def repoint_old_jobs(database: Path) -> int:
    """Rewrite stored jobs that name an old module path (OLD_REFS) to the current one; return how many."""
    if not jobstore_path(database).exists():
        return 0
    store = _store(database)
    table = store.jobs_t
    moved = 0
    try:
        with store.engine.begin() as conn:
            if not inspect(conn).has_table(table.name):
                return 0
            for job_id, blob in conn.execute(select(table.c.id, table.c.job_state)).all():
                # APScheduler's own format: the pickled state dict; the function is a plain string in it,
                # so unpickling imports nothing that has moved.
                state = pickle.loads(blob)
                new = OLD_REFS.get(state.get("func"))
                if new is None:
                    continue
                state["func"] = new
                conn.execute(table.update().where(table.c.id == job_id)
                             .values(job_state=pickle.dumps(state, store.pickle_protocol)))
                moved += 1
    finally:
        store.engine.dispose()
    if moved:
        log.info("scheduler: %d stored jobs re-pointed from watch.jobs to jobs", moved)
    return moved


def _read_store(database: Path) -> list[Any]:
    """The jobs persisted in the store, without starting a scheduler (empty when there is no store)."""
    if not jobstore_path(database).exists():
        return []
    repoint_old_jobs(database)
    store = _store(database)
    # The store only needs a scheduler to rebuild Job objects; this one is never started.
    store.start(BlockingScheduler(), "default")
    try:
        return store.get_all_jobs()
    finally:
        store.shutdown()


def _forget_unknown_jobs(database: Path, known: tuple[str, ...]) -> None:
    """Remove the stored jobs this config no longer has (a profile removed from `digests:`)."""
    if not jobstore_path(database).exists():
        return
    store = _store(database)
    store.start(BlockingScheduler(), "default")
    try:
        for job in store.get_all_jobs():
            if job.id not in known:
                store.remove_job(job.id)
    finally:
        store.shutdown()


def schedule_jobs(config: Config, *, poll_every: timedelta = POLL_EVERY, database: Path | None = None,
                  scheduler_class: type[BaseScheduler] = BlockingScheduler) -> BaseScheduler:
    """A scheduler holding the jobs (poll, a digest per profile, prune, maintain); start() writes them to the store.

    Job ids are stable and replace their stored version, but a stored job whose schedule did not
    change keeps its next run time: a digest missed while the process was down then runs on restart
    (within its grace time) instead of waiting a week. `database` (the --db override) is passed to the jobs.
    """
    stored = {job.id: job for job in _read_store(config.settings.database)}
    _forget_unknown_jobs(config.settings.database, job_ids(config))
    scheduler = make_scheduler(config, scheduler_class)
    for spec in _job_specs(config, poll_every, database):
        old = stored.get(spec["id"])
        if (old is not None and old.next_run_time is not None and str(old.trigger) == str(spec["trigger"])
                and old.func_ref == spec["func"] and list(old.args) == spec["args"] and old.kwargs == spec["kwargs"]):
            spec["next_run_time"] = old.next_run_time
        scheduler.add_job(replace_existing=True, **spec)
    return scheduler


def save_jobs(config: Config, *, poll_every: timedelta = POLL_EVERY, database: Path | None = None) -> None:
    """Write the jobs to the persistent store without running any (a paused scheduler, started and stopped)."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = schedule_jobs(config, poll_every=poll_every, database=database, scheduler_class=BackgroundScheduler)
    scheduler.start(paused=True)
    scheduler.shutdown(wait=False)


def list_jobs(config: Config) -> list[tuple[str, str, datetime | None]]:
    """(id, trigger description, next run time) of each persisted job, read without starting the scheduler."""
    jobs = _read_store(config.settings.database)
    return [(job.id, str(job.trigger), job.next_run_time) for job in jobs]


def planned_jobs(config: Config, *, poll_every: timedelta = POLL_EVERY,
                 now: datetime | None = None) -> list[tuple[str, str, datetime | None]]:
    """(id, trigger description, next run time) of the jobs `techwatch schedule` would create now; touches no file."""
    now = now or datetime.now().astimezone()
    planned = []
    for spec in _job_specs(config, poll_every, None):
        trigger = spec["trigger"]
        planned.append((spec["id"], str(trigger), trigger.get_next_fire_time(None, now)))
    return planned


def describe_job(job_id: str, config: Config) -> str:
    """What a job does, in a few words (for `schedule --list`); the prune job says what settings.retention keeps."""
    if job_id == "prune":
        return describe_retention(config.settings.retention)
    if job_id == "digest" or job_id.startswith("digest:"):
        profile = next((p for p in config.profiles if digest_job_id(p) == job_id), None)
        if profile is None:
            return ""
        what = "writes last week's digest" if profile.is_default else f"writes last week's {profile.title} digest"
        channels = len(profile.notify) + len(profile.notify_env)
        sends = [*(["e-mails it"] if config.settings.email and profile.email else []),
                 *([f"sends it to {channels} chat channel{'s' if channels > 1 else ''}"] if channels else [])]
        return " and ".join([what, *sends])
    return {
        "poll": "polls the sources that are due, then extracts, summarizes and tags what is new",
        "maintain": "refreshes query statistics, merges the search index, rebuilds the file (VACUUM)",
    }.get(job_id, "")


def run_scheduler(scheduler: BlockingScheduler) -> None:
    """Run in the foreground until SIGTERM or SIGINT, then let the running job finish and stop."""

    def stop(signum: int, _frame: FrameType | None) -> None:
        if not scheduler.running:
            log.info("scheduler: %s received, already stopping", signal.Signals(signum).name)
            return
        log.info("scheduler: %s received, stopping after the running job", signal.Signals(signum).name)
        STOP.set()  # a running poll stops at its next source or item
        scheduler.shutdown(wait=True)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    STOP.clear()
    try:
        log.info("scheduler: started with %d jobs", len(scheduler.get_jobs()))
        scheduler.start()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("scheduler: stopped")

