"""The run_alerts table: alerts a run raised (``run.alert``), in the order raised."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, insert, select

from nbrun.server import schema


def _text(value: Any) -> str:
    return str(value).replace("\x00", "\ufffd")  # PostgreSQL text cannot hold NUL


def alert_row(run_pk: int, alert_no: int, alert: dict[str, Any], received: float) -> dict[str, Any]:
    """The run_alerts row of a validated alert record (``received``: when it has no time)."""
    return {
        "run_pk": run_pk,
        "alert_no": alert_no,
        "time": float(alert.get("time", received)),
        "title": _text(alert.get("title", "")),
        "text": _text(alert.get("text", "")),
        "level": _text(alert.get("level", "INFO"))[:16],
    }


def store_alerts(
    conn: Connection, run_pk: int, alerts: list[dict[str, Any]], received: float
) -> None:
    """Append a batch's alert records after the run's earlier ones."""
    if not alerts:
        return
    a = schema.run_alerts
    last = conn.execute(select(func.max(a.c.alert_no)).where(a.c.run_pk == run_pk)).scalar()
    start = 0 if last is None else int(last) + 1
    rows = [alert_row(run_pk, start + i, alert, received) for i, alert in enumerate(alerts)]
    conn.execute(insert(a), rows)


def read_alerts(conn: Connection, run_pk: int, after: int | None = None) -> list[dict[str, Any]]:
    """The run's alerts in the order raised (``AlertInfo``), those numbered past ``after``."""
    a = schema.run_alerts
    query = select(a).where(a.c.run_pk == run_pk)
    if after is not None:
        query = query.where(a.c.alert_no > after)
    return [
        {"n": row.alert_no, "time": row.time, "title": row.title, "text": row.text}
        | {"level": row.level}
        for row in conn.execute(query.order_by(a.c.alert_no))
    ]
