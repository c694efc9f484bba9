"""The database tables (SQLAlchemy Core), as of the newest migration.

History is stored twice, each shape for what reads it: ``history_chunks`` keeps every row whole
(msgpack, exact values), a few hundred rows per chunk, for paging; ``history_blocks`` keeps each
numeric key's points as columnar blocks of up to ``BLOCK_POINTS`` (step, value) pairs, so a
chart query reads a million points in a few hundred block rows instead of a million table rows.
Neither stores a database row per logged row: that is what kept ingest from its target
(see bench/RESULTS.md).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", Float, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("entity", String(128), nullable=False),
    Column("project", String(128), nullable=False),
    Column("run_id", String(128), nullable=False),
    Column("name", Text),
    Column("notes", Text),
    Column("tags", Text, nullable=False, default="[]"),  # JSON list, as logged
    Column("group_name", Text),
    Column("job_type", Text),
    Column("state", String(16), nullable=False),  # running | finished | failed | preempting
    Column("exit_code", Integer),
    Column("start_time", Float),
    Column("heartbeat_time", Float),
    Column("end_time", Float),
    Column("host", Text),
    Column("resumed", Boolean, nullable=False, default=False),
    Column("sweep_id", Text),
    Column("program", Text),  # added by migration 3
    # When a listed field last changed (added by migration 4): what GET /events polls for.
    Column("changed_at", Float),
    Column("last_step", BigInteger),
    Column("history_rows", BigInteger, nullable=False, default=0),
    Column("acked_seq", BigInteger, nullable=False, default=0),
    Column("created_at", Float, nullable=False),
    Column("state_blob", LargeBinary, nullable=False),  # msgpack of RunState.to_state()
    UniqueConstraint("entity", "project", "run_id", name="uq_runs_path"),
)
Index("ix_runs_project_created", runs.c.entity, runs.c.project, runs.c.created_at)
Index("ix_runs_changed", runs.c.changed_at)

history_keys = Table(
    "history_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_pk", Integer, ForeignKey("runs.pk"), nullable=False),
    Column("key", Text, nullable=False),
    Column("kind", String(8), nullable=False),  # bool | int | float: what the values were
    Column("points", BigInteger, nullable=False, default=0),
    Column("blocks", Integer, nullable=False, default=0),
    Column("tail_count", Integer, nullable=False, default=0),  # points in the last block
    UniqueConstraint("run_pk", "key", name="uq_history_keys"),
)

history_blocks = Table(
    "history_blocks",
    metadata,
    Column("run_pk", Integer, nullable=False),
    Column("key_id", Integer, nullable=False),
    Column("block_no", Integer, nullable=False),
    Column("first_step", BigInteger, nullable=False),
    Column("last_step", BigInteger, nullable=False),
    Column("count", Integer, nullable=False),
    Column("steps", LargeBinary, nullable=False),  # little-endian int64
    Column("vals", LargeBinary, nullable=False),  # little-endian float64 (NaN/inf kept)
    PrimaryKeyConstraint("run_pk", "key_id", "block_no"),
    sqlite_with_rowid=False,
)

# One row per logged row: created by migration 1, moved into history_chunks and dropped by
# migration 3 (kept here for those migrations).
history_rows = Table(
    "history_rows",
    metadata,
    Column("run_pk", Integer, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("data", LargeBinary, nullable=False),  # msgpack of the whole row
    PrimaryKeyConstraint("run_pk", "step"),
    sqlite_with_rowid=False,
)

# Added by migration 3.
history_chunks = Table(
    "history_chunks",
    metadata,
    Column("run_pk", Integer, nullable=False),
    Column("chunk_no", Integer, nullable=False),  # in arrival order: a later chunk is newer
    Column("first_step", BigInteger, nullable=False),
    Column("last_step", BigInteger, nullable=False),
    Column("count", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),  # msgpack array of whole rows, as logged
    PrimaryKeyConstraint("run_pk", "chunk_no"),
    sqlite_with_rowid=False,
)
Index("ix_history_chunks_steps", history_chunks.c.run_pk, history_chunks.c.first_step)

run_alerts = Table(
    "run_alerts",
    metadata,
    Column("run_pk", Integer, nullable=False),
    Column("alert_no", Integer, nullable=False),  # 0, 1, ... in the order raised
    Column("time", Float, nullable=False),
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("level", String(16), nullable=False),
    PrimaryKeyConstraint("run_pk", "alert_no"),
)

console_lines = Table(
    "console_lines",
    metadata,
    Column("run_pk", Integer, nullable=False),
    Column("line_no", BigInteger, nullable=False),  # 0, 1, ...: the cursor of a live tail
    Column("stream", String(8), nullable=False),  # stdout | stderr
    Column("time", Float, nullable=False),
    Column("text", Text, nullable=False),  # without the line break
    PrimaryKeyConstraint("run_pk", "line_no"),
    sqlite_with_rowid=False,
)

run_files = Table(
    "run_files",
    metadata,
    Column("run_pk", Integer, nullable=False),
    Column("path", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("updated_at", Float, nullable=False),
    PrimaryKeyConstraint("run_pk", "path"),
)

# Added by migration 2.
run_tags = Table(
    "run_tags",
    metadata,
    Column("run_pk", Integer, nullable=False),
    Column("tag", Text, nullable=False),
    PrimaryKeyConstraint("run_pk", "tag"),
)
Index("ix_run_tags_tag", run_tags.c.tag)

read_tokens = Table(
    "read_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # sha256 hex of the token
    Column("run_pk", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    # Added by migration 5 (nullable: older server processes on the same database omit it).
    Column("expires_at", Float),
    Column("revoked_at", Float),  # set by `nbrun server tokens revoke`
)

# Added by migration 5: random secrets made once per database and shared by every server
# process on it (``session``: what session cookies are signed with).
server_secrets = Table(
    "server_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", LargeBinary, nullable=False),
    Column("created_at", Float, nullable=False),
)

# Added by migration 6: artifacts. A collection is one artifact name in a project; its type is
# fixed by its first version. Versions are numbered 0, 1, ... in commit order; the manifest
# itself is a blob (``manifest_sha256``) in the blob store, like every entry it names.
artifact_collections = Table(
    "artifact_collections",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("entity", String(128), nullable=False),
    Column("project", String(128), nullable=False),
    Column("name", String(128), nullable=False),
    Column("type", String(128), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("entity", "project", "name", name="uq_artifact_collections_path"),
)

artifact_versions = Table(
    "artifact_versions",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("collection_pk", Integer, nullable=False),
    Column("version_index", Integer, nullable=False),  # 0, 1, ...: "v0", "v1", ...
    Column("digest", String(32), nullable=False),  # manifest_digest of the contents
    Column("manifest_sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("files", BigInteger, nullable=False),
    Column("description", Text),
    Column("metadata", Text, nullable=False, default="{}"),  # JSON object, as logged
    Column("created_at", Float, nullable=False),
    Column("run_pk", Integer),  # the run that logged it first; None: not logged by a run
    UniqueConstraint("collection_pk", "version_index", name="uq_artifact_versions_index"),
    UniqueConstraint("collection_pk", "digest", name="uq_artifact_versions_digest"),
)
Index("ix_artifact_versions_run", artifact_versions.c.run_pk)

# Each artifact record applied, by the logging run and the record's client_id: applying it
# again is a no-op, and a run's logged versions include those it logged again by digest.
artifact_logs = Table(
    "artifact_logs",
    metadata,
    Column("run_pk", Integer, nullable=False),
    Column("client_id", String(128), nullable=False),
    Column("version_pk", Integer, nullable=False),
    Column("time", Float, nullable=False),
    PrimaryKeyConstraint("run_pk", "client_id"),
)

artifact_aliases = Table(
    "artifact_aliases",
    metadata,
    Column("collection_pk", Integer, nullable=False),
    Column("alias", String(128), nullable=False),
    Column("version_pk", Integer, nullable=False),  # moving an alias updates this
    PrimaryKeyConstraint("collection_pk", "alias"),
)
Index("ix_artifact_aliases_version", artifact_aliases.c.version_pk)

artifact_tags = Table(
    "artifact_tags",
    metadata,
    Column("version_pk", Integer, nullable=False),
    Column("tag", String(128), nullable=False),
    PrimaryKeyConstraint("version_pk", "tag"),
)

# A run's inputs, by name and digest: resolved to a version when read, so a use may arrive
# before the version it names (another run's batch still on its way).
artifact_uses = Table(
    "artifact_uses",
    metadata,
    Column("run_pk", Integer, nullable=False),
    Column("entity", String(128), nullable=False),
    Column("project", String(128), nullable=False),
    Column("name", String(128), nullable=False),
    Column("digest", String(32), nullable=False),
    Column("use_as", Text),
    Column("time", Float, nullable=False),
    PrimaryKeyConstraint("run_pk", "entity", "project", "name", "digest"),
)

# Added by migration 7: the parts of distributed versions not finished yet (upsert_artifact).
# A part waits here, invisible to reads, until a finish_artifact record of its collection and
# distributed_id merges the waiting parts into one version; the merged parts are then deleted
# (their records stay in artifact_logs, pointing at that version).
artifact_parts = Table(
    "artifact_parts",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),  # arrival order: later wins
    Column("collection_pk", Integer, nullable=False),
    Column("distributed_id", String(128), nullable=False),
    Column("run_pk", Integer, nullable=False),
    Column("client_id", String(128), nullable=False),
    Column("manifest_sha256", String(64), nullable=False),
    Column("description", Text, nullable=False, default="null"),  # JSON: a string or null
    Column("metadata", Text, nullable=False, default="{}"),
    Column("aliases", Text, nullable=False, default="[]"),  # JSON list
    Column("tags", Text, nullable=False, default="[]"),  # JSON list
    Column("time", Float, nullable=False),
    UniqueConstraint("run_pk", "client_id", name="uq_artifact_parts_record"),
)
Index("ix_artifact_parts_version", artifact_parts.c.collection_pk, artifact_parts.c.distributed_id)
