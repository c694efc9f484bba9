"""The console_lines table: a run's captured stdout/stderr, line by line, numbered for a tail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, insert, select

from nbrun.server import schema


def store_console(conn: Connection, run_pk: int, records: list[dict[str, Any]]) -> None:
    """Append the lines of a batch's console records (``ConsoleRecord``) after earlier ones."""
    if not records:
        return
    c = schema.console_lines
    last = conn.execute(select(func.max(c.c.line_no)).where(c.c.run_pk == run_pk)).scalar()
    line_no = 0 if last is None else int(last) + 1
    rows = []
    for record in records:
        text: str = record["text"]
        lines = text.split("\n")
        if text.endswith("\n"):
            lines.pop()  # the break ends the last line; it starts no new one
        for line in lines:
            rows.append(
                {
                    "run_pk": run_pk,
                    "line_no": line_no,
                    "stream": record["stream"],
                    "time": float(record["time"]),
                    "text": line.replace("\x00", "\ufffd"),  # PostgreSQL text cannot hold NUL
                }
            )
            line_no += 1
    if rows:
        conn.execute(insert(c), rows)


def read_console(
    conn: Connection, run_pk: int, after: int | None, limit: int
) -> list[dict[str, Any]]:
    """Up to ``limit`` lines (``ConsoleLine``) numbered past ``after`` (all when None)."""
    c = schema.console_lines
    query = select(c.c.line_no, c.c.stream, c.c.time, c.c.text).where(c.c.run_pk == run_pk)
    if after is not None:
        query = query.where(c.c.line_no > after)
    query = query.order_by(c.c.line_no).limit(limit)
    return [
        {"n": int(row.line_no), "stream": row.stream, "time": row.time, "text": row.text}
        for row in conn.execute(query)
    ]


def read_console_tail(conn: Connection, run_pk: int, count: int) -> list[dict[str, Any]]:
    """The last ``count`` lines, in order."""
    c = schema.console_lines
    last = select(c.c.line_no).where(c.c.run_pk == run_pk).order_by(c.c.line_no.desc())
    first = conn.execute(last.offset(count - 1).limit(1)).scalar()
    return read_console(conn, run_pk, None if first is None else int(first) - 1, count)
