"""The deliveries table (m023): every attempt kept, "already sent" per profile, period and channel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from watch.records import DeliveryAttempt
from watch.store import open_archive
from watch.store.migrations import MIGRATIONS

T0 = datetime(2026, 11, 23, 7, tzinfo=UTC)


def attempt(status: str, *, key: str = "k1", profile: str = "default", period: str = "2026-W47",
            minutes: int = 0, error: str = "") -> DeliveryAttempt:
    return DeliveryAttempt(profile, period, key, "json channel 127.0.0.1:8080/hook", "notify",
                           T0 + timedelta(minutes=minutes), status, error)


def test_m023_is_registered_after_m021():
    names = [step.__name__ for step in MIGRATIONS]
    assert "m023_deliveries" in names and names.index("m023_deliveries") > names.index("m021_watch_text")


def test_a_channel_is_sent_once_it_has_a_sent_attempt(tmp_path):
    archive = open_archive(tmp_path / "watch.db")
    try:
        assert archive.delivery_sent("default", "2026-W47", "k1") is None
        archive.record_delivery(attempt("failed", error="json channel ...: HTTP 500"))
        assert archive.delivery_sent("default", "2026-W47", "k1") is None  # a failure is not a sending
        archive.record_delivery(attempt("sent", minutes=5))
        assert archive.delivery_sent("default", "2026-W47", "k1") == T0 + timedelta(minutes=5)
        for other in ({"key": "k2"}, {"profile": "security"}, {"period": "2026-W48"}):
            args = {"key": "k1", "profile": "default", "period": "2026-W47", **other}
            assert archive.delivery_sent(args["profile"], args["period"], args["key"]) is None, other
        kept = archive.deliveries("default", "2026-W47")
        assert [(a.status, a.error) for a in kept] == [("failed", "json channel ...: HTTP 500"), ("sent", "")]
        assert kept[0] == attempt("failed", error="json channel ...: HTTP 500")
        assert archive.deliveries(profile="security") == []
    finally:
        archive.close()
