"""watch.scheduler and `techwatch schedule`: the persistent job store, as separate processes see it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta

from testkit import ROOT, write_config

from watch import scheduler
from watch.config import load_config

# `schedule` is registered on the cli group by cli.py; this also works before that line exists.
CLI = ("from watch.cli.main import cli; from watch.cli.schedule import schedule; "
       "'schedule' in cli.commands or cli.add_command(schedule); cli(prog_name='techwatch')")
SAVE = ("import sys; from watch.config import load_config; from watch import scheduler; "
        "config = load_config(sys.argv[1]); scheduler.save_jobs(config); "
        "[print(i, w.isoformat(sep=' ', timespec='seconds')) for i, _t, w in scheduler.list_jobs(config)]")
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "TZ": "Europe/Paris"}


def _write(tmp_path, day: str = "wednesday", at: str = "07:15"):
    path = write_config(tmp_path, [{"name": "Lab", "url": "http://127.0.0.1:1/feed.xml"}])
    text = path.read_text(encoding="utf-8").replace("  digest: {directory: digests}",
                                                    f'  digest: {{directory: digests, day: {day}, time: "{at}"}}')
    path.write_text(text, encoding="utf-8")
    return path


def _python(*args: str, cwd, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=ENV)


def test_jobs_persist_across_processes_with_their_next_run_times(tmp_path):
    path = _write(tmp_path)
    saved = _python(SAVE, str(path), cwd=tmp_path)
    assert saved.returncode == 0, saved.stderr
    times = dict(line.split(" ", 1) for line in saved.stdout.splitlines())
    assert sorted(times) == ["digest", "maintain", "poll", "prune"]
    assert (tmp_path / "watch.jobs.sqlite").exists()  # next to the archive, a separate file
    listed = _python(CLI, "schedule", "--list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line for line in listed.stdout.splitlines()}
    assert sorted(rows) == sorted(times)
    for job, when in times.items():
        assert f"next {when}" in rows[job]
    assert "cron[day_of_week='wed', hour='7', minute='15']" in rows["digest"]
    assert "interval[0:15:00]" in rows["poll"]
    # A second process adding the jobs again (a restart) keeps the stored next run times.
    again = _python(SAVE, str(path), cwd=tmp_path)
    assert dict(line.split(" ", 1) for line in again.stdout.splitlines()) == times


def test_persisted_jobs_carry_safe_defaults_and_the_local_digest_time(tmp_path):
    path = _write(tmp_path, day="friday", at="18:05")
    assert _python(SAVE, str(path), cwd=tmp_path).returncode == 0
    config = load_config(path)
    stored = {job.id: job for job in scheduler._read_store(config.settings.database)}
    for job in stored.values():
        assert job.coalesce is True and job.max_instances == 1
        assert job.func_ref == f"jobs:{job.id}" and job.args == (str(path.resolve()),)
    assert stored["poll"].misfire_grace_time == 3600
    assert stored["digest"].misfire_grace_time == 86400
    digest_at = stored["digest"].next_run_time
    assert str(digest_at.tzinfo) == "Europe/Paris"  # local time (TZ of the scheduler process)
    assert (digest_at.weekday(), digest_at.hour, digest_at.minute) == (4, 18, 5)
    assert timedelta(0) < digest_at - datetime.now(digest_at.tzinfo) <= timedelta(days=7)


# The store as the version before the top-level jobs/ wrote it: APScheduler itself, the jobs named
# "watch.jobs:<id>" (a stand-in module under that name lets APScheduler accept them, as the old one did),
# the digest's run time an hour past, as when the process was down on Monday morning.
OLD_STORE = ("import sys, types; from datetime import datetime, timedelta; "
             "from apscheduler.schedulers.background import BackgroundScheduler; "
             "from apscheduler.schedulers.blocking import BlockingScheduler; "
             "from watch.config import load_config; from watch import scheduler; "
             "old = types.ModuleType('watch.jobs'); sys.modules['watch.jobs'] = old; "
             "[setattr(old, job, lambda *a, **k: None) for job in scheduler.JOB_IDS]; "
             "config = load_config(sys.argv[1]); s = scheduler.make_scheduler(config, BackgroundScheduler); "
             "[s.add_job(replace_existing=True, **{**spec, 'func': 'watch.' + spec['func']}) "
             "for spec in scheduler._job_specs(config, scheduler.POLL_EVERY, None)]; "
             "s.start(paused=True); s.shutdown(wait=False); "
             "store = scheduler._store(config.settings.database); store.start(BlockingScheduler(), 'default'); "
             "missed = (datetime.now().astimezone() - timedelta(hours=1)).replace(microsecond=0); "
             "job = store.lookup_job('digest'); job._modify(next_run_time=missed); store.update_job(job); "
             "store.shutdown(); print(missed.isoformat(sep=' ', timespec='seconds'))")


def test_jobs_stored_under_the_old_module_path_are_re_pointed_and_keep_their_run_times(tmp_path):
    from apscheduler.schedulers.background import BackgroundScheduler

    path = _write(tmp_path)
    written = _python(OLD_STORE, str(path), cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    missed = datetime.fromisoformat(written.stdout.strip())
    config = load_config(path)
    listed = {job_id: when for job_id, _trigger, when in scheduler.list_jobs(config)}  # reading drops none
    assert sorted(listed) == ["digest", "maintain", "poll", "prune"] and listed["digest"] == missed
    restarted = scheduler.schedule_jobs(config, scheduler_class=BackgroundScheduler)  # the current version's start
    jobs = {job.id: job for job in restarted.get_jobs()}
    assert jobs["digest"].next_run_time == missed  # not re-created for next week: the missed digest still runs
    stored = {job.id: job for job in scheduler._read_store(config.settings.database)}
    assert {job.func_ref for job in stored.values()} == {f"jobs:{job}" for job in scheduler.JOB_IDS}


def test_a_changed_schedule_replaces_the_stored_job(tmp_path):
    path = _write(tmp_path)
    assert _python(SAVE, str(path), cwd=tmp_path).returncode == 0
    path.write_text(path.read_text(encoding="utf-8").replace("day: wednesday", "day: monday"), encoding="utf-8")
    assert _python(SAVE, str(path), cwd=tmp_path).returncode == 0
    jobs = {job_id: (trigger, when) for job_id, trigger, when in scheduler.list_jobs(load_config(path))}
    assert "day_of_week='mon'" in jobs["digest"][0] and jobs["digest"][1].weekday() == 0
    assert len(jobs) == 4


def test_list_says_what_the_prune_job_keeps(tmp_path):
    path = _write(tmp_path)
    assert _python(SAVE, str(path), cwd=tmp_path).returncode == 0
    rows = {line.split()[0]: line for line in _python(CLI, "schedule", "--list", cwd=tmp_path).stdout.splitlines()}
    assert rows["prune"].endswith(": keeps every item; deletes cached article pages fetched more than 90 days ago "
                                  "and document vectors no item uses")
    assert "polls the sources that are due" in rows["poll"] and "VACUUM" in rows["maintain"]
    path.write_text(path.read_text(encoding="utf-8").replace("settings:\n", "settings:\n  retention: {items: 2y}\n"),
                    encoding="utf-8")
    rows = {line.split()[0]: line for line in _python(CLI, "schedule", "--list", cwd=tmp_path).stdout.splitlines()}
    assert "deletes items first seen more than 730 days ago (their ids are remembered" in rows["prune"]


def test_list_without_a_store_says_so(tmp_path):
    _write(tmp_path)
    listed = _python(CLI, "schedule", "--list", cwd=tmp_path)
    assert listed.returncode == 0 and "No jobs" in listed.stdout
    assert not (tmp_path / "watch.jobs.sqlite").exists()


def test_the_foreground_scheduler_stops_cleanly_on_sigterm(tmp_path):
    _write(tmp_path)
    proc = subprocess.Popen([sys.executable, "-c", CLI, "schedule"], cwd=tmp_path, env=ENV, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not (tmp_path / "watch.jobs.sqlite").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "SIGTERM received" in err and "scheduler: stopped" in err
    listed = _python(CLI, "schedule", "--list", cwd=tmp_path)
    assert len(listed.stdout.splitlines()) == 4


def test_schedule_help():
    done = _python(CLI, "schedule", "--help", cwd=ROOT)
    assert done.returncode == 0 and "--list" in done.stdout and "--poll-every" in done.stdout


def test_a_digest_missed_while_down_runs_on_restart_within_its_grace_time(tmp_path):
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
    from apscheduler.schedulers.background import BackgroundScheduler

    from watch.store import open_archive

    path = _write(tmp_path)
    config = load_config(path)
    scheduler.save_jobs(config)
    store = scheduler._store(config.settings.database)
    store.start(BackgroundScheduler(), "default")
    missed = store.lookup_job("digest")
    missed.next_run_time = datetime.now(missed.next_run_time.tzinfo) - timedelta(hours=3)  # down at its time
    store.update_job(missed)
    store.shutdown()
    ran: list[tuple[str, object]] = []
    restarted = scheduler.schedule_jobs(config, scheduler_class=BackgroundScheduler)
    restarted.add_listener(lambda event: ran.append((event.job_id, event.exception)),
                           EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    restarted.start()
    deadline = time.monotonic() + 60
    while not ran and time.monotonic() < deadline:
        time.sleep(0.1)
    restarted.shutdown(wait=True)
    assert ran == [("digest", None)]
    archive = open_archive(config.settings.database)
    try:
        assert archive.db.execute("SELECT job, status FROM runs").fetchall() == [("digest", "ok")]
    finally:
        archive.close()
    next_digest = {job_id: when for job_id, _t, when in scheduler.list_jobs(config)}["digest"]
    assert next_digest > datetime.now(next_digest.tzinfo)  # and the next one is next week's


def test_sigterm_during_a_poll_stops_it_early_and_exits_cleanly(tmp_path, server):
    from apscheduler.schedulers.background import BackgroundScheduler
    from testkit import rss

    from watch.store import open_archive

    server.add("/slow.xml", rss("Slow", [{"title": f"News {n}", "link": f"http://slow.example/{n}",
                                          "description": "<p>Some news.</p>"} for n in range(3)]), delay=3)
    path = write_config(tmp_path, [{"name": "Slow", "url": server.url("/slow.xml"), "extract": "never"}])
    config = load_config(path)
    scheduler.save_jobs(config)
    store = scheduler._store(config.settings.database)
    store.start(BackgroundScheduler(), "default")
    due = store.lookup_job("poll")
    due.next_run_time = datetime.now(due.next_run_time.tzinfo) - timedelta(minutes=1)  # runs at once on start
    store.update_job(due)
    store.shutdown()
    proc = subprocess.Popen([sys.executable, "-c", CLI, "schedule"], cwd=tmp_path, env=ENV, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not server.hits("/slow.xml") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.hits("/slow.xml"), "the poll did not start"
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "poll: interrupted by shutdown" in err and "scheduler: stopped" in err
    archive = open_archive(config.settings.database)
    try:
        row = archive.db.execute("SELECT job, status, finished_at IS NOT NULL FROM runs").fetchall()
    finally:
        archive.close()
    assert row == [("poll", "interrupted", 1)]


PROFILES = """\
digests:
  - name: default
  - name: ml-team
    day: tuesday
    time: "08:30"
  - name: security
    day: friday
    notify_env: TECHWATCH_SECURITY_URL
"""


def test_each_profile_has_its_digest_job_at_its_own_day_and_time(tmp_path):
    path = _write(tmp_path)  # settings.digest: wednesday 07:15
    path.write_text(path.read_text(encoding="utf-8") + PROFILES, encoding="utf-8")
    config = load_config(path)
    scheduler.save_jobs(config)
    stored = {job.id: job for job in scheduler._read_store(config.settings.database)}
    assert sorted(stored) == ["digest", "digest:ml-team", "digest:security", "maintain", "poll", "prune"]
    digests = {job_id: job for job_id, job in stored.items() if job_id.startswith("digest")}
    assert {job.func_ref for job in digests.values()} == {"jobs:digest"}
    assert {job.misfire_grace_time for job in digests.values()} == {86400}
    # the digest for everyone keeps the arguments it had before profiles, so a stored job of it still matches
    assert [digests[j].kwargs for j in ("digest", "digest:ml-team", "digest:security")] == [
        {}, {"profile": "ml-team"}, {"profile": "security"}]
    when = {job_id: (job.next_run_time.weekday(), job.next_run_time.hour, job.next_run_time.minute)
            for job_id, job in digests.items()}
    assert when == {"digest": (2, 7, 15), "digest:ml-team": (1, 8, 30), "digest:security": (4, 7, 15)}
    assert scheduler.describe_job("digest:ml-team", config) == "writes last week's Tech watch (ml-team) digest"
    assert scheduler.describe_job("digest:security", config) == ("writes last week's Tech watch (security) digest "
                                                                 "and sends it to 1 chat channel")
    # a restart keeps every stored run time; a profile removed from feeds.yaml takes its job with it
    times = {job_id: w for job_id, _t, w in scheduler.list_jobs(config)}
    scheduler.save_jobs(config)
    assert {job_id: w for job_id, _t, w in scheduler.list_jobs(config)} == times
    path.write_text(path.read_text(encoding="utf-8").replace("  - name: security\n    day: friday\n", "").replace(
        "    notify_env: TECHWATCH_SECURITY_URL\n", ""),
                    encoding="utf-8")
    scheduler.save_jobs(load_config(path))
    assert sorted(j for j, _t, _w in scheduler.list_jobs(config)) == [
        "digest", "digest:ml-team", "maintain", "poll", "prune"]


def test_without_a_default_profile_there_is_no_digest_for_everyone(tmp_path):
    path = _write(tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + "digests:\n  - name: ml-team\n", encoding="utf-8")
    planned = [job_id for job_id, _t, _w in scheduler.planned_jobs(load_config(path))]
    assert planned == ["poll", "digest:ml-team", "prune", "maintain"]
