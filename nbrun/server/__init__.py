"""nbrun's backend server: FastAPI + uvicorn over SQLAlchemy Core (SQLite or PostgreSQL).

It shares only :mod:`nbrun.record` with the SDK: the record format, the run-state fold and the
HTTP contract (:mod:`nbrun.protocol.http`).
"""

from nbrun.server.config import ServerConfig

__all__ = ["ServerConfig"]
