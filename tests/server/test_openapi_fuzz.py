"""Fuzzing a real server process: every operation of its OpenAPI schema with generated data
(schemathesis), and the msgpack ingest endpoint with random bytes and batches (hypothesis).

Whatever arrives, the answer is a 2xx or a 4xx, a rejected batch changes nothing, and the
server logs no traceback."""

from __future__ import annotations

import base64
import dataclasses
import gzip
import hashlib
import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import msgpack
import orjson
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from nbrun.protocol.artifacts import manifest_digest, new_manifest
from nbrun.protocol.http import MSGPACK_CONTENT_TYPE, run_path
from nbrun.record import types
from tests.server.conftest import Server, assert_no_server_errors, start_server

ENTITY, PROJECT = "fuzz", "seeded"
SEEDED_RUNS = ("finished-run", "running-run")
SEEDED_FILES = (
    "notes.txt",
    "media/images/plot.png",
    "dir with space/data.bin",
)
# Only the table route aims at it: the fuzzed PUTs overwrite the files above with any bytes.
SEEDED_TABLE = "media/table/rows.table.json"
TABLE_CONTENT = b'{"columns": ["a", "b"], "data": [[1, "x"], [2, "y"], [null, "z"]]}'
INGEST_RUN = "ingest-target"
# An artifact the seeded runs log, its entries named as the seeded files.
SEEDED_ARTIFACT = "seeded-data"
FUZZ_EXAMPLES = 100  # per operation (~1 s each)
STREAM_EXAMPLES = 40  # an event stream of a running run is held open for STREAM_READ seconds
STREAM_READ = 0.25
INGEST_EXAMPLES = 300  # ~10 s
# The server runs in another process: hypothesis must neither time examples out nor complain
# about slow data; its checks for pytest fixtures do not apply (the fixtures are module-wide
# or reset per test, never per example). No example database: no replays between sessions.
FUZZ_SETTINGS = settings(deadline=None, suppress_health_check=list(HealthCheck), database=None)

# Every operation of the served schema (a test checks that this list is complete).
OPERATIONS = (
    "GET /api/v1/health",
    "GET /api/v1/projects",
    "GET /api/v1/runs/{entity}/{project}",
    "GET /api/v1/runs/{entity}/{project}/{run_id}",
    "GET /api/v1/runs/{entity}/{project}/{run_id}/history",
    "GET /api/v1/runs/{entity}/{project}/{run_id}/history/rows",
    "GET /api/v1/runs/{entity}/{project}/{run_id}/files",
    "GET /api/v1/runs/{entity}/{project}/{run_id}/files/{path}",
    "PUT /api/v1/runs/{entity}/{project}/{run_id}/files/{path}",
    "GET /api/v1/runs/{entity}/{project}/{run_id}/tables/{path}",
    "POST /api/v1/runs/{entity}/{project}/{run_id}/tokens",
    "POST /api/v1/runs/{entity}/{project}/{run_id}/records",
    "GET /api/v1/runs/{entity}/{project}/{run_id}/stream",
    "GET /api/v1/runs/{entity}/{project}/{run_id}/alerts",
    "GET /api/v1/runs/{entity}/{project}/{run_id}/console",
    "GET /api/v1/events",
    "POST /api/v1/blobs/missing",
    "PUT /api/v1/blobs/{sha256}",
    "GET /api/v1/artifacts/{entity}/{project}",
    "GET /api/v1/artifacts/{entity}/{project}/{name}",
    "GET /api/v1/artifacts/{entity}/{project}/{name}/{version}",
    "GET /api/v1/artifacts/{entity}/{project}/{name}/{version}/files/{path}",
    "GET /api/v1/artifacts/{entity}/{project}/{name}/{version}/lineage",
    "GET /api/v1/runs/{entity}/{project}/{run_id}/artifacts",
)
# Event streams go on for as long as their run does (or forever: the change feed).
STREAMS = ("/stream", "/events")


@schemathesis.serializer(MSGPACK_CONTENT_TYPE)
def _msgpack_body(_ctx: schemathesis.SerializationContext, value: Any) -> bytes:
    """Generated ``RecordBatch`` bodies go out as msgpack, as the sender posts them."""
    try:
        return bytes(msgpack.packb(value, use_bin_type=True))
    except (OverflowError, ValueError):  # an integer msgpack cannot carry: send it as JSON
        return json.dumps(value).encode()


class ServerLog:
    """The server's log from now on: a traceback shows up at the request that caused it."""

    def __init__(self, server: Server) -> None:
        self.path = server.tmp / "server.log"
        self.seen = self.path.stat().st_size

    def assert_no_traceback(self) -> None:
        with open(self.path, "rb") as log:
            log.seek(self.seen)
            new = log.read()
        self.seen += len(new)
        assert b"Traceback" not in new, new.decode(errors="replace")[-3000:]


def seed_records(finished: bool) -> list[list[Any]]:
    """A small but complete run: every record kind the SDK writes."""
    run = {"name": "seeded", "tags": ["t1", "t2"], "group": "g", "job_type": "train"}
    records: list[list[Any]] = [
        [1, types.RUN, run | {"start_time": 1.0e9, "host": "h", "resumed": False}],
        [2, types.CONFIG, {"update": {"lr": 0.1, "layers": [8, 4]}, "remove": []}],
        [3, types.METRIC, {"name": "loss", "summary": ["min"], "goal": "minimize"}],
    ]
    for step in range(40):
        row = {"_step": step, "loss": 1 / (step + 1), "n": step, "flag": step % 2 == 0}
        records.append([len(records) + 1, types.HISTORY, row | {"nested": {"x": step}}])
    records.append([len(records) + 1, types.SUMMARY, {"update": {"best": 3}, "remove": []}])
    records.append([len(records) + 1, types.ALERT, {"title": "a", "text": "b", "level": "INFO"}])
    console = {"stream": "stdout", "text": "epoch 1\nepoch 2\n", "time": 1.0e9 + 4}
    records.append([len(records) + 1, types.CONSOLE, console])
    records.append([len(records) + 1, types.METADATA, {"program": "train.py", "cwd": "/w"}])
    if finished:
        records.append([len(records) + 1, types.EXIT, {"exit_code": 0, "time": 1.0e9 + 5}])
    return records


def seed_artifact(server: Server, run: str) -> None:
    """Upload the seeded files as blobs and log them as version v0 of ``SEEDED_ARTIFACT``."""
    contents: dict[str, Any] = {}
    for name in SEEDED_FILES:
        body = name.encode() * 10
        sha = hashlib.sha256(body).hexdigest()
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        contents[name] = {"digest": md5, "size": len(body), "sha256": sha}
        put = server.session.put(f"{server.url}/api/v1/blobs/{sha}", body, headers=server.headers())
        assert put.status_code == 200, put.text
    manifest = orjson.dumps(new_manifest(contents))
    sha = hashlib.sha256(manifest).hexdigest()
    put = server.session.put(f"{server.url}/api/v1/blobs/{sha}", manifest, headers=server.headers())
    assert put.status_code == 200, put.text
    acked = server.run_get(run).json()["acked_seq"]
    record = {
        "client_id": "seeded",
        "name": SEEDED_ARTIFACT,
        "type": "dataset",
        "digest": manifest_digest(contents),
        "manifest": sha,
        "size": sum(entry["size"] for entry in contents.values()),
        "files": len(contents),
        "aliases": ["best"],
    }
    reply = server.post_records(run, [[acked + 1, types.ARTIFACT, record]])
    assert reply.json() == {"acked_seq": acked + 1}, reply.text


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A SQLite server of its own (the fuzzing creates runs anywhere), seeded with runs and
    files so that generated requests also reach existing resources."""
    server = start_server(tmp_path_factory.mktemp("fuzzed-server"))
    try:
        for index, run_id in enumerate((*SEEDED_RUNS, INGEST_RUN)):
            run = f"{ENTITY}/{PROJECT}/{run_id}"
            reply = server.post_records(run, seed_records(finished=index == 0))
            assert reply.status_code == 200, reply.text
            for name in (*SEEDED_FILES, SEEDED_TABLE):
                url = f"{server.url}{run_path(ENTITY, PROJECT, run_id)}/files/{name}"
                content = TABLE_CONTENT if name == SEEDED_TABLE else name.encode() * 10
                put = server.session.put(url, content, headers=server.headers())
                assert put.status_code == 200, put.text
        seed_artifact(server, f"{ENTITY}/{PROJECT}/{SEEDED_RUNS[0]}")
        yield server
    finally:
        server.stop()
    assert_no_server_errors(server)


@pytest.fixture(scope="module")
def api_schema(fuzzed_server: Server) -> schemathesis.BaseSchema:
    """The schema as the server serves it, calling that server with its token for the
    schema's bearer scheme. Requests without it are test_auth.py's subject: generating
    security parameters is off, or half of the negative cases would only earn a 401."""
    config = schemathesis.Config.from_dict(
        {
            "base-url": fuzzed_server.url,
            "auth": {"openapi": {"HTTPBearer": {"bearer": fuzzed_server.token}}},
            "generation": {"with-security-parameters": False},
        }
    )
    return schemathesis.openapi.from_url(f"{fuzzed_server.url}/openapi.json", config=config)


def test_the_fuzzed_operations_are_every_operation_the_schema_has(
    api_schema: schemathesis.BaseSchema,
) -> None:
    served = [result.ok().label for result in api_schema.get_all_operations()]
    assert sorted(served) == sorted(OPERATIONS)


def case_strategy(
    operation: schemathesis.APIOperation,
) -> st.SearchStrategy[schemathesis.Case]:
    """Valid and invalid requests (schemathesis' positive and negative modes); half of them
    aimed at a seeded run (and file), the rest at generated names.

    Strategies with hypothesis' ``@given`` rather than ``schemathesis.pytest.from_fixture``:
    that one sets ``Node._nodeid``, which pytest 9.2 no longer has."""
    names = {parameter.name for parameter in operation.path_parameters}
    # The table route reads only table files: aimed at the others it could only answer 422.
    seeded_files = (SEEDED_TABLE,) if operation.path.endswith("/tables/{path}") else SEEDED_FILES
    existing = [
        {"entity": ENTITY, "project": PROJECT, "run_id": run_id, "path": name}
        | {"name": SEEDED_ARTIFACT, "version": version}
        for run_id, version in zip(SEEDED_RUNS, ("v0", "latest"), strict=True)
        for name in seeded_files
    ]
    generated, aimed = [], []
    for mode in schemathesis.GenerationMode:
        generated.append(operation.as_strategy(mode))
        for seeded in existing if names else ():
            fixed = {k: v for k, v in seeded.items() if k in names}
            aimed.append(operation.as_strategy(mode, path_parameters=fixed))
    anywhere = st.one_of(generated)
    return st.one_of(anywhere, st.one_of(aimed)) if aimed else anywhere


def call(case: schemathesis.Case) -> int:
    """Send the case; its status, after checking it is no 5xx. An event stream goes on for as
    long as its run does: read what comes within STREAM_READ seconds, then hang up."""
    if not case.operation.path.endswith(STREAMS):
        return case.call_and_validate(checks=[not_a_server_error]).status_code
    request = case.as_transport_kwargs()
    with requests.request(**request, stream=True, timeout=(10, STREAM_READ)) as response:
        assert response.status_code < 500, response.text
        deadline = time.monotonic() + STREAM_READ
        try:
            for _ in response.iter_content(chunk_size=None):
                if time.monotonic() > deadline:
                    break
        except requests.ConnectionError:  # no event within the read timeout: still running
            pass
        return response.status_code


@pytest.mark.parametrize("label", OPERATIONS)
def test_generated_requests_never_get_a_server_error(
    label: str, api_schema: schemathesis.BaseSchema, fuzzed_server: Server
) -> None:
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None, label
    statuses: set[int] = set()

    @given(case=case_strategy(operation))
    @settings(
        FUZZ_SETTINGS, max_examples=STREAM_EXAMPLES if label.endswith(STREAMS) else FUZZ_EXAMPLES
    )
    def fuzz(case: schemathesis.Case) -> None:
        log = ServerLog(fuzzed_server)
        statuses.add(call(case))
        log.assert_no_traceback()

    fuzz()
    # Past auth and validation into real work: reads of seeded runs and files succeed.
    if label.startswith("GET "):
        assert 200 in statuses, sorted(statuses)


# --- The msgpack ingest endpoint: random bytes and random batches ---------------------------


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """``one_of`` with weights (``one_of`` itself drops repeated strategies)."""
    strategies = [strategy for _, strategy in choices]
    indices = [index for index, (weight, _) in enumerate(choices) for _ in range(weight)]
    return st.sampled_from(indices).flatmap(strategies.__getitem__)


_MAX_U64 = (1 << 64) - 1
_MIN_I64 = -(1 << 63)
plain = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
scalars = weighted(
    (4, plain),
    (1, st.integers(min_value=_MIN_I64, max_value=_MAX_U64)),  # all that msgpack carries
    (1, st.binary(max_size=8)),
)
keys = st.one_of(st.text(max_size=8), st.sampled_from(["_step", "update", "remove", "name"]))
values = st.recursive(
    scalars,
    lambda inner: weighted(
        (2, st.lists(inner, max_size=4)),
        (2, st.dictionaries(keys, inner, max_size=4)),
        (1, st.dictionaries(st.one_of(st.integers(), st.binary(max_size=4)), inner, max_size=2)),
    ),
    max_leaves=12,
)
# The fields of each record kind, so that random payloads often have the right names, with
# right or wrong values.
_FIELDS = {
    types.RUN: ["name", "notes", "tags", "group", "job_type", "start_time", "resumed", "sweep_id"],
    types.CONFIG: ["update", "remove"],
    types.SUMMARY: ["update", "remove"],
    types.METRIC: ["name", "step_metric", "step_sync", "hidden", "summary", "goal"],
    types.FILES: ["files"],
    types.ALERT: ["title", "text", "level", "time"],
    types.PREEMPTING: ["time"],
    types.EXIT: ["exit_code", "time", "runtime", "summary"],
    types.ARTIFACT: [
        "client_id",
        "name",
        "type",
        "digest",
        "manifest",
        "size",
        "files",
        "aliases",
        "tags",
        "project",
        "metadata",
        "description",
    ],
    types.USE_ARTIFACT: ["entity", "project", "name", "digest", "use_as"],
}
_RIGHT = {
    "update": st.dictionaries(st.text(max_size=6), values, max_size=3),
    "remove": st.lists(st.text(max_size=6), max_size=2),
    "tags": st.lists(st.text(max_size=6), max_size=2),
    "summary": st.lists(st.sampled_from(["min", "max", "mean", "last", "best", "x"]), max_size=2),
    "files": st.lists(st.fixed_dictionaries({"path": st.text(max_size=8), "policy": plain})),
    "exit_code": st.integers(-(1 << 33), 1 << 33),
    "resumed": st.booleans(),
    "goal": st.sampled_from(["minimize", "maximize", "sideways"]),
}


@dataclasses.dataclass(frozen=True)
class After:
    """A sequence number or step relative to the run's state when the batch is sent (strategies
    must not depend on that state: hypothesis replays their draws)."""

    what: str  # "seq": after the acknowledged sequence; "step": after the last step
    offset: int

    def __repr__(self) -> str:
        return f"<{self.what}+{self.offset}>"


def resolve(value: Any, acked: int, next_step: int) -> Any:
    if isinstance(value, After):
        return (acked if value.what == "seq" else next_step) + value.offset
    if isinstance(value, list):
        return [resolve(v, acked, next_step) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, acked, next_step) for k, v in value.items()}
    return value


@st.composite
def payloads(draw: st.DrawFn, kind: Any, index: int) -> Any:
    """A payload for ``kind``: mostly the right shape, sometimes anything at all."""
    if kind == types.HISTORY:
        row = draw(st.dictionaries(st.text(max_size=8), weighted((3, plain), (1, values))))
        steps = weighted(
            (6, st.just(After("step", index))),
            (1, st.integers(-3, 3).map(lambda offset: After("step", offset))),
            (1, st.integers(_MIN_I64, _MAX_U64)),
            (1, scalars),
        )
        return draw(weighted((8, st.just(row | {"_step": draw(steps)})), (1, st.just(row))))
    fields = _FIELDS.get(kind, ["x", "time"])
    chosen = draw(st.lists(st.sampled_from(fields), max_size=len(fields), unique=True))
    right = {name: draw(weighted((3, _RIGHT.get(name, plain)), (1, values))) for name in chosen}
    return draw(weighted((6, st.just(right)), (1, values)))


@st.composite
def record_lists(draw: st.DrawFn) -> list[Any]:
    """A batch near the acknowledged sequence: mostly consecutive from ``acked + 1``,
    sometimes starting earlier (a replay) or later (a gap), or with a hole or a repeat inside;
    known and unknown kinds; right and wrong payloads; now and then a record that is no
    record at all."""
    seq = draw(weighted((6, st.just(1)), (1, st.integers(-3, 4))))
    records: list[Any] = []
    for index in range(draw(st.integers(0, 6))):
        seq += draw(weighted((12, st.just(1)), (1, st.sampled_from([0, 2, -1])))) if index else 0
        kind = draw(weighted((8, st.sampled_from(sorted(types.KINDS))), (1, scalars)))
        record = [After("seq", seq), kind, draw(payloads(kind, index))]
        not_a_record = st.one_of(
            st.lists(values, max_size=4),
            scalars.map(lambda bad_seq, r=record: [bad_seq, *r[1:]]),
            values,
        )
        records.append(draw(weighted((12, st.just(record)), (1, not_a_record))))
    return records


def _deeply_nested(depth: int) -> bytes:
    """A history row whose value is ``depth`` nested one-element arrays (built by hand: the
    msgpack packer refuses to nest that deep)."""
    head = msgpack.packb({"records": [[1, types.HISTORY, {"_step": 0, "x": None}]]})
    assert head.endswith(b"\xc0")
    return bytes(head[:-1] + b"\x91" * depth + b"\xc0")


def _pack(obj: Any) -> bytes:
    try:
        return bytes(msgpack.packb(obj, use_bin_type=True))
    except (OverflowError, ValueError):
        return b"\xc1"  # msgpack's one never-used byte: not a document


@dataclasses.dataclass
class Post:
    """A ``POST R/records`` request: ``document`` is raw bytes or what to pack."""

    document: Any
    encoding: str  # identity | gzip | gzip-cut (a truncated gzip stream) | br
    headers: dict[str, str]

    def body(self, acked: int, next_step: int) -> bytes:
        if isinstance(self.document, bytes):
            raw = self.document
        else:
            raw = _pack(resolve(self.document, acked, next_step))
        if self.encoding == "gzip":
            return gzip.compress(raw)
        if self.encoding == "gzip-cut":
            return gzip.compress(raw)[: len(raw) // 2]
        return raw


@st.composite
def posts(draw: st.DrawFn) -> Post:
    """Mostly batches, some anything else; mostly with the right headers."""
    document = draw(
        weighted(
            (8, record_lists().map(lambda records: {"records": records})),
            (1, record_lists().map(lambda records: {"records": records, "x": 1})),
            (1, st.tuples(record_lists(), scalars).map(lambda t: {"records": t[0], "live": t[1]})),
            (1, st.binary(max_size=200)),
            (1, values),
            (1, values.map(lambda records: {"records": records})),
            (1, st.integers(1, 3000).map(_deeply_nested)),
        )
    )
    content_type = draw(weighted((12, st.just(MSGPACK_CONTENT_TYPE)), (1, st.just("text/x"))))
    encoding = draw(st.sampled_from(["identity"] * 8 + ["gzip"] * 3 + ["gzip-cut", "br"]))
    headers = {"Content-Type": content_type}
    if encoding != "identity" or draw(st.booleans()):
        headers["Content-Encoding"] = "gzip" if encoding == "gzip-cut" else encoding
    return Post(document, encoding, headers)


def test_a_non_list_where_another_kind_has_a_list_gets_no_server_error(
    server_factory: Any,
) -> None:
    server = server_factory()  # its own: the bug leaves tracebacks in the log
    log = ServerLog(server)
    for record in (
        [1, types.EXIT, {"exit_code": 0, "time": 1.0, "summary": True}],
        [1, types.CONFIG, {"update": {}, "remove": [], "tags": 3}],
        [1, types.RUN, {"name": "r", "remove": 1.5}],
    ):
        reply = server.post_records(f"{ENTITY}/{PROJECT}/{uuid.uuid4()}", [record])
        assert reply.status_code in (200, 422), (record, reply.status_code, reply.text)
    log.assert_no_traceback()


def run_snapshot(server: Server, run: str) -> bytes | None:
    """Everything the server says about a run (None when it does not exist), as msgpack
    bytes: NaN compares equal to itself there."""
    info = server.run_get(run, msgpack_reply=True)
    if info.status_code == 404:
        return None
    assert info.status_code == 200, info.text
    rows = server.run_get(run, "/history/rows", msgpack_reply=True, limit=10_000)
    series = server.run_get(run, "/history", msgpack_reply=True)
    files = server.run_get(run, "/files", msgpack_reply=True)
    for reply in (rows, series, files):
        assert reply.status_code == 200, reply.text
    return bytes(info.content + rows.content + series.content + files.content)


@pytest.fixture(scope="module")
def ingest_session() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@given(data=st.data())
@settings(FUZZ_SETTINGS, max_examples=INGEST_EXAMPLES)
def test_random_batches_get_2xx_or_4xx_and_a_rejected_one_changes_nothing(
    fuzzed_server: Server, ingest_session: requests.Session, data: st.DataObject
) -> None:
    # A run with history, or a run that does not exist (and must not come to).
    existing = data.draw(weighted((3, st.just(True)), (1, st.just(False))), label="existing")
    run_id = INGEST_RUN if existing else f"new-{uuid.uuid4()}"
    run = f"{ENTITY}/{PROJECT}/{run_id}"
    before = run_snapshot(fuzzed_server, run)
    before_content = run_content(fuzzed_server, run)
    info = fuzzed_server.run_get(run).json() if before is not None else {}
    acked, last_step = info.get("acked_seq", 0), info.get("last_step")
    post = data.draw(posts(), label="post")
    body = post.body(acked, 0 if last_step is None else last_step + 1)
    url = f"{fuzzed_server.url}{run_path(ENTITY, PROJECT, run_id)}/records"
    log = ServerLog(fuzzed_server)
    reply = ingest_session.post(url, body, headers=fuzzed_server.headers(**post.headers))
    assert 200 <= reply.status_code < 300 or 400 <= reply.status_code < 500, reply.text
    detail = reply.json().get("detail") if reply.status_code >= 400 else None
    # What the server said, for --hypothesis-show-statistics (numbers left out: fewer kinds).
    event(f"{reply.status_code} {re.sub(r'[0-9]+', 'N', detail or 'applied')[:40]}")
    if reply.status_code >= 400:
        assert isinstance(detail, str) and detail, reply.text  # says what is wrong
        if "refused" in reply.json():
            # Every new record was refused by itself: only the acknowledgement moved past them.
            assert run_content(fuzzed_server, run) == before_content, reply.text
        else:
            assert run_snapshot(fuzzed_server, run) == before, reply.text
    log.assert_no_traceback()


def run_content(server: Server, run: str) -> Any:
    """What a run holds (config, summary, rows, series, files), None for an empty or absent
    run: unlike :func:`run_snapshot`, blind to the acknowledgement and refusal count."""
    info = server.run_get(run, msgpack_reply=True)
    if info.status_code == 404:
        return None
    unpacked = msgpack.unpackb(info.content, raw=False, strict_map_key=False)
    rows = server.run_get(run, "/history/rows", msgpack_reply=True, limit=10_000).content
    series = server.run_get(run, "/history", msgpack_reply=True).content
    files = server.run_get(run, "/files", msgpack_reply=True).content
    held = [unpacked["config"], unpacked["summary"], unpacked["history_rows"]]
    if held == [{}, {}, 0] and b"sha256" not in files:
        return None
    return (msgpack.packb(held), bytes(rows), bytes(series), bytes(files))
