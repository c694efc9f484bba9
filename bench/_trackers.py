"""The trackers the benchmarks drive, one adapter each with the same small interface, and the
row every logging benchmark logs; then, for the backend benchmarks, each tracker's own ways to
store a series in one step, to read back what was logged and (nbrun) to post a record log as
its sender does.

An adapter: ``import_()`` (timed on its own), ``start(tmp)`` a run, ``log_fn()`` the tracker's
own call that logs one row (returned rather than wrapped, so that a timed call is the tracker's
alone), ``finish()``, and ``persisted_rows(tmp)`` where reading the rows back is cheap. Each is
written in the tracker's own idiom, with every network-facing feature off unless a server is
given. Only the standard library (and bench/'s modules) is imported here; each tracker is
imported by ``import_()`` or inside the function that uses it."""

# mypy: disable-error-code="import-not-found,import-untyped"
# (the peers are optional and untyped; they are only reached through the adapters below)
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _measure import within_budget
from _workers import bench_env

N_KEYS = 10


def row_values(i: int) -> dict[str, float]:
    """The 10 scalars of row ``i``, the same for every tracker."""
    x = i * 1e-3
    return {
        "m0": x,
        "m1": x + 1.0,
        "m2": x * 0.5,
        "m3": x * 0.25,
        "m4": -x,
        "m5": x * x,
        "m6": 1.0 / (1.0 + x),
        "m7": x + 0.125,
        "m8": x * 2.0,
        "m9": x - 3.0,
    }


def local_env(tmp: Path) -> dict[str, str]:
    """Environment for a worker with no server: every tracker local, in ``tmp``, and nothing
    phoning home."""
    home = tmp / "home"
    return bench_env(
        tmp,
        # wandb: offline, quiet, every directory in tmp
        WANDB_MODE="offline",
        WANDB_SILENT="true",
        WANDB_DIR=str(tmp),
        WANDB_CACHE_DIR=str(home / ".cache" / "wandb"),
        WANDB_CONFIG_DIR=str(home / ".config" / "wandb"),
        WANDB_DATA_DIR=str(home / ".local" / "share" / "wandb"),
        WANDB_ARTIFACT_DIR=str(tmp / "wandb-artifacts"),
        WANDB_DISABLE_CODE="true",
        # trackio: local sqlite under tmp, Hugging Face hub offline
        TRACKIO_DIR=str(tmp / "trackio"),
        HF_HOME=str(home / "hf"),
        HF_HUB_OFFLINE="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        GRADIO_ANALYTICS_ENABLED="False",
        # mlflow: sqlite in tmp (set in the adapter); nbrun: offline (set in the adapter)
    )


class Tracker:
    """The calls a benchmark needs, in each tracker's own idiom."""

    module: Any = None
    run: Any = None

    def import_(self) -> None:
        raise NotImplementedError

    def start(self, tmp: Path) -> None:
        raise NotImplementedError

    def log_fn(self) -> Callable[[dict[str, float]], object]:
        return self.run.log  # type: ignore[no-any-return]

    def finish(self) -> None:
        self.module.finish()

    def persisted_rows(self, tmp: Path) -> int | None:
        """Rows that can be read back after finish, where cheap to check; None if unchecked."""
        return None


class Noop(Tracker):
    """Measures the harness itself: building the dict, the two timer reads, the loop."""

    def import_(self) -> None:
        pass

    def start(self, tmp: Path) -> None:
        pass

    def log_fn(self) -> Callable[[dict[str, float]], object]:
        def log(d: dict[str, float]) -> None:
            return None

        return log

    def finish(self) -> None:
        pass


class Nbrun(Tracker):
    """``nbrun.init(project="bench", dir=tmp, ...)``: offline by default; ``mode=None`` leaves
    it to the environment (``NBRUN_BASE_URL`` names the server)."""

    def __init__(self, mode: str | None = "offline", **settings: Any) -> None:
        self.mode = mode
        self.settings = settings or {"silent": True}

    def import_(self) -> None:
        import nbrun

        self.module = nbrun

    def start(self, tmp: Path) -> None:
        mode = {"mode": self.mode} if self.mode else {}
        self.run = self.module.init(project="bench", dir=str(tmp), settings=self.settings, **mode)

    def finish(self) -> None:
        self.run.finish()

    def persisted_rows(self, tmp: Path) -> int | None:
        api = self.module.Api(dirs=[tmp])
        return sum(1 for _ in api.run(self.run.id).scan_history(keys=[f"m{N_KEYS - 1}"]))


class Wandb(Tracker):
    def import_(self) -> None:
        import wandb

        self.module = wandb

    def start(self, tmp: Path) -> None:
        wandb = self.module
        self.run = wandb.init(
            project="bench", mode="offline", dir=str(tmp), settings=wandb.Settings(silent=True)
        )


class Trackio(Tracker):
    def import_(self) -> None:
        import trackio

        self.module = trackio

    def start(self, tmp: Path) -> None:
        # TRACKIO_DIR (set in the environment) keeps the sqlite database local; no space_id or
        # server_url is given, so nothing is sent anywhere.
        self.run = self.module.init(project="bench")

    def persisted_rows(self, tmp: Path) -> int | None:
        import sqlite3

        dbs = sorted((tmp / "trackio").glob("*.db"))
        if not dbs:
            return None
        with sqlite3.connect(dbs[0]) as con:
            row = con.execute("SELECT COUNT(*) FROM metrics").fetchone()
        return int(row[0])


class Mlflow(Tracker):
    """``mlflow.log_metrics(row, step=i, synchronous=False)``: against ``tracking_uri`` (a
    SQLite file in tmp by default), in ``experiment`` when one is named."""

    def __init__(self, tracking_uri: str | None = None, experiment: str | None = None) -> None:
        self.tracking_uri = tracking_uri
        self.experiment = experiment

    def import_(self) -> None:
        import mlflow

        self.module = mlflow

    def start(self, tmp: Path) -> None:
        mlflow = self.module
        mlflow.set_tracking_uri(self.tracking_uri or f"sqlite:///{tmp / 'mlflow.db'}")
        if self.experiment:
            mlflow.set_experiment(self.experiment)
        self.run = mlflow.start_run()

    def log_fn(self) -> Callable[[dict[str, float]], object]:
        log_metrics = self.module.log_metrics
        steps = iter(range(1 << 62))

        def call(d: dict[str, float]) -> object:
            return log_metrics(d, step=next(steps), synchronous=False)

        return call

    def finish(self) -> None:
        self.module.flush_async_logging()
        self.module.end_run()

    def persisted_rows(self, tmp: Path) -> int | None:
        client = self.module.MlflowClient()
        return len(client.get_metric_history(self.run.info.run_id, f"m{N_KEYS - 1}"))


TRACKERS: dict[str, type[Tracker]] = {
    "nbrun": Nbrun,
    "wandb": Wandb,
    "trackio": Trackio,
    "mlflow": Mlflow,
    "noop": Noop,
}


# --------------------------------------------------------------------------------------------
# Storing without a run's client: a series in one step, a record log as the sender posts it.
# --------------------------------------------------------------------------------------------


def nbrun_post_series(
    url: str, key: str, path: tuple[str, str, str], name: str, values: list[float], batch: int
) -> dict[str, Any]:
    """``values`` as the history of the one key ``name`` of run ``path`` (entity, project, id)
    on nbrun's server at ``url``, posted with ``BackendClient.post_records`` as the sender posts
    them, ``batch`` records a request; whether every record was acknowledged, and the rate."""
    from nbrun.sync.client import Backend, BackendClient

    client = BackendClient(Backend(url, key), timeout=300)
    t0 = time.perf_counter()
    acked = 0
    for start in range(0, len(values), batch):
        records = [
            [i + 1, "history", {name: values[i], "_step": i}]
            for i in range(start, min(len(values), start + batch))
        ]
        acked = client.post_records(*path, records)["acked_seq"]
    ingest_s = time.perf_counter() - t0
    client.close()
    return {"stored": acked == len(values), "ingest_points_per_s": len(values) / ingest_s}


def mlflow_store_series(
    tmp: Path,
    path: tuple[str, str, str],
    name: str,
    values: list[float],
    per_call: int,
    probe: int,
    budget_s: float,
) -> dict[str, Any]:
    """``values`` as the history of the one key ``name`` of a finished run in a new MLflow
    SQLite database in ``tmp`` (``path``: the user, the experiment, the run name), through its
    own store in process (what its server does with log_batch requests), ``per_call`` points at
    a time; stops after ``probe`` points when all would take over ``budget_s``. The run's id,
    the points stored (and of how many, when it stopped early) and the rate."""
    from mlflow.entities import Metric, RunStatus
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    user, experiment, run_name = path
    store = SqlAlchemyStore(f"sqlite:///{tmp / 'mlflow.db'}", str(tmp / "mlartifacts"))
    stamp = int(time.time() * 1000)
    experiment_id = store.create_experiment(experiment)
    run_id = store.create_run(experiment_id, user, stamp, [], run_name).info.run_id

    def send(start: int, end: int) -> None:
        metrics = [Metric(name, values[i], stamp, i) for i in range(start, end)]
        for part in range(0, len(metrics), 1_000):  # MLflow's limit per log_batch
            store.log_batch(run_id, metrics[part : part + 1_000], [], [])

    t0 = time.perf_counter()
    loaded = within_budget(len(values), per_call, probe, budget_s, send)
    load_s = time.perf_counter() - t0
    store.update_run_info(run_id, RunStatus.FINISHED, stamp, None)
    store.engine.dispose()
    return {
        "run_id": run_id,
        "points": loaded,
        "stopped_early_of": len(values) if loaded < len(values) else None,
        "ingest_points_per_s": loaded / load_s,
    }


def sender_requests(log_path: Path | None) -> tuple[list[bytes], int]:
    """An nbrun run's record log as its sender posts it: cut into batches of the sender's size
    at frame boundaries, each encoded as a request body (the frames as the log holds them, in a
    msgpack map, uncompressed as for a loopback server); and the last record's sequence."""
    import msgpack

    from nbrun.protocol.limits import SEND_BATCH_BYTES
    from nbrun.record.framing import HEADER_SIZE, decode_body
    from nbrun.record.reader import RecordLogReader

    assert log_path is not None
    batches: list[list[bytes]] = [[]]
    size = 0
    for _, body in RecordLogReader(log_path, HEADER_SIZE).frame_bodies():
        if size >= SEND_BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(body)
        size += len(body)
    bodies = [msgpack.packb({"records": [], "frames": b}, use_bin_type=True) for b in batches]
    return bodies, int(decode_body(batches[-1][-1])[-1][0])


# --------------------------------------------------------------------------------------------
# Reading back what was logged, through each tracker's own API.
# --------------------------------------------------------------------------------------------


def nbrun_read_back(api: Any, path: str, rows: int) -> dict[str, Any]:
    """Every stored value of every key through nbrun's public ``Api``, compared value by value
    with the ``rows`` logged; the last step and the run's state (with samples >= the row count
    the server sends each series whole; it allows up to 100,000, past that the rows are paged
    through instead)."""
    stored = api.run(path)
    keys = [f"m{k}" for k in range(N_KEYS)]
    if rows <= 100_000:
        history = stored.history(keys=keys, samples=rows, pandas=False)
    else:
        history = list(stored.scan_history(keys=keys))
    exact = len(history) == rows and all(
        row.get("_step") == i and all(row.get(k) == v for k, v in row_values(i).items())
        for i, row in enumerate(history)
    )
    return {
        "rows_read_back": len(history),
        "read_back_exact": exact,
        "last_step": stored.last_step,
        "state": stored.state,
    }


def mlflow_read_back(client: Any, run_id: str, rows: int) -> dict[str, Any]:
    """Two keys' stored histories through MLflow's API, compared value by value with what was
    logged (reading all 10 would take over a minute at 100,000 rows; ``mlflow_rows_per_key``
    counts every key's rows in MLflow's database instead)."""
    exact = True
    last_step = None
    for key in ("m0", f"m{N_KEYS - 1}"):
        got = sorted((m.step, m.value) for m in client.get_metric_history(run_id, key))
        exact = exact and got == [(i, row_values(i)[key]) for i in range(rows)]
        last_step = got[-1][0] if got else None
    return {
        "read_back_exact": exact,
        "last_step": last_step,
        "state": client.get_run(run_id).info.status,
    }


def mlflow_rows_per_key(db: Path) -> int:
    """The fewest rows stored for any metric key in an MLflow SQLite database (0 unless every
    one of the row's keys is there)."""
    import sqlite3

    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        counts = con.execute("SELECT key, COUNT(*) FROM metrics GROUP BY key").fetchall()
    finally:
        con.close()
    return min((int(n) for _, n in counts), default=0) if len(counts) == N_KEYS else 0
