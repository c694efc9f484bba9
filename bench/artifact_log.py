"""Artifact benchmark (issue 14, "Speed"): logging, versioning and downloading a 1 GB folder
with nbrun (offline, and online against its server) against wandb (offline), trackio and MLflow
(a local artifact folder, and its server with proxied artifacts).

Workloads: (1) a folder of ``--files`` files of random bytes totalling ``--size-mb`` (1,000 files
of 1 MB: 1 GB) logged as a new artifact: the caller-thread time of building it (``add_dir``)
and logging it, the time until it is durable (``finish()`` returns; online, ``wait()`` returns
first), the add throughput (MB/s), bytes stored and written, CPU; (2) a second version with one
file changed: the same figures, and which new blobs the stores got; (3) ``download()`` of that
version to a fresh folder, from this machine's store and (online) from the server with the
local store deleted, against ``shutil.copytree`` of the same folder.

Each tracker runs in its own fresh subprocess, with its files, HOME and caches in a fresh temp
dir (with the data, 1 GB, removed after it); a server configuration gets a fresh server too.
As root, the OS page cache is dropped (``sync``, then ``/proc/sys/vm/drop_caches``) before
every timed part, so that every read starts from the disk.

Usage (from the repo root, after ``bash bench/setup.sh``)::

    bench/.venv/bin/python bench/artifact_log.py [--size-mb N] [--files N] [--repeats N]
        [--only nbrun-offline,nbrun-server,...] [--no-write]

The tables are printed and, unless ``--no-write``, written to ``bench/RESULTS.md`` under
"## artifact_log" (other sections of that file are kept).
"""

# mypy: disable-error-code="import-not-found,import-untyped"
from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from _measure import own_tree_cpu_s, own_tree_rss, tree_cpu_s, tree_processes
from _report import Section, Target, mark, outcome_notes, prose, ratios, spec_table, version_of
from _servers import Postgres, on_servers, running_server
from _trackers import Mlflow, Nbrun, Tracker, Trackio, Wandb, local_env
from _workers import Outcome, bench_parser, chosen, fresh_dir, median_runs, run_worker, work

SECTION = "## artifact_log"

LABELS = {
    "nbrun-offline": "nbrun (offline)",
    "nbrun-server": "nbrun (server, SQLite)",
    "wandb": "wandb (offline)",
    "trackio": "trackio",
    "mlflow-local": "MLflow (local folder)",
    "mlflow-server": "MLflow (server, proxied)",
}
CONFIGS = tuple(LABELS)
# The server each configuration logs to (None: none).
SERVER_KIND = {"nbrun-server": "nbrun-sqlite", "mlflow-server": "mlflow-proxied"}
WORKER_TIMEOUT_S = 900.0  # hard bound on any one worker (1 GB logged twice, downloaded 3 times)
ARTIFACT = "bench-data"
CLIENT_SETTINGS = {"silent": True, "console": "off"}
MB = 2**20

# The goal: nbrun builds (reads, hashes and stores) an artifact at ≥ 500 MB/s.
TARGETS = {"v1_add_mb_per_s": Target(500.0, at_least=True)}


# --------------------------------------------------------------------------------------------
# Measuring inside a worker.
# --------------------------------------------------------------------------------------------


def drop_caches() -> bool:
    """Write dirty pages out and drop the page cache (root only); whether it was dropped."""
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w", encoding="ascii") as f:
            f.write("3\n")
    except OSError:
        return False
    return True


def stored(root: Path | None) -> dict[tuple[int, int], int]:
    """Each file below ``root`` by inode (a hard link counts once), with its size."""
    found: dict[tuple[int, int], int] = {}
    if root is None:
        return found
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue  # vanished while walking
            found[(st.st_dev, st.st_ino)] = st.st_size
    return found


def grown(before: dict[tuple[int, int], int], after: dict[tuple[int, int], int]) -> int:
    """Bytes by which a folder grew (files gone count as negative)."""
    return sum(after.values()) - sum(before.values())


def new_files(
    before: dict[tuple[int, int], int], after: dict[tuple[int, int], int]
) -> tuple[int, int]:
    """(count, bytes) of the files in ``after`` that were not in ``before``."""
    sizes = [size for key, size in after.items() if key not in before]
    return len(sizes), sum(sizes)


def _io(pid: int) -> tuple[int, int]:
    """(bytes passed to write() calls, bytes dirtied in the page cache and not cancelled by a
    truncate or delete before write-out) of one process, from /proc/<pid>/io; reaped children
    are folded into their parent's figures by the kernel."""
    fields: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/io", encoding="ascii") as f:
            for line in f:
                key, _, value = line.partition(":")
                fields[key] = int(value)
    except (OSError, ValueError):
        return 0, 0
    return fields["wchar"], fields["write_bytes"] - fields["cancelled_write_bytes"]


def own_tree_written() -> tuple[int, int]:
    """``_io`` summed over this process and its live helper processes (wandb-core)."""
    written = [_io(p.pid) for p in tree_processes(os.getpid())]
    return sum(w for w, _ in written), sum(d for _, d in written)


def make_data(src: Path, files: int, size_mb: int) -> int:
    """``files`` files of random bytes totalling ``size_mb`` MB in ``src``; their total size."""
    src.mkdir(parents=True)
    per_file = size_mb * MB // files
    for i in range(files):
        (src / f"part-{i:05d}.bin").write_bytes(os.urandom(per_file))
    return per_file * files


def change_one_file(src: Path) -> int:
    """Give the first file new random bytes (same size); its size."""
    first = sorted(src.iterdir())[0]
    size = first.stat().st_size
    first.write_bytes(os.urandom(size))
    return size


def same_tree(a: Path, b: Path) -> bool:
    """Whether ``b`` holds exactly ``a``'s files, byte for byte."""
    names = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    others = sorted(p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file())
    return names == others and all(filecmp.cmp(a / n, b / n, shallow=False) for n in names)


# --------------------------------------------------------------------------------------------
# Each tracker's artifact calls, as its user writes them.
# --------------------------------------------------------------------------------------------


class Subject:
    """One tracker's calls: ``start`` a run, ``add`` a folder to a new artifact and ``log`` it
    (the caller-thread part), ``wait`` until the backend has it (online), ``finish`` the run;
    ``download`` the latest version into a folder (returns the folder holding the files) and
    ``forget`` the local copies so that the next download comes from the server."""

    tracker: Tracker
    can_download = True
    from_server = False  # downloads come from a server (no local copy is kept)
    can_forget = False
    waits = False  # wait() is the tracker's own: until the backend has committed the version
    reads_in_add = True  # add_dir reads (and hashes) the files; else log_artifact does
    has_add = True  # the tracker has an add_dir step at all

    def import_(self) -> None:
        self.tracker.import_()

    def start(self, work: Path) -> None:
        self.tracker.start(work)

    def add(self, src: Path) -> None:
        raise NotImplementedError

    def log(self) -> None:
        raise NotImplementedError

    def wait(self) -> None:
        pass

    def finish(self) -> None:
        self.tracker.finish()

    def download(self, dst: Path) -> Path:
        raise NotImplementedError

    def forget(self, work: Path) -> None:
        raise NotImplementedError


class NbrunSubject(Subject):
    def __init__(self, online: bool) -> None:
        # The mode is explicit: nbrun reads WANDB_MODE too, which the worker's environment sets
        # to "offline" for wandb.
        self.tracker = Nbrun(mode="online" if online else "offline", **CLIENT_SETTINGS)
        self.online = online
        self.can_forget = self.waits = online
        self.artifact: Any = None
        self.uploads: list[int] = []  # bytes of each blob the sender uploaded

    def import_(self) -> None:
        super().import_()
        if self.online:  # count the blob uploads (sizes only: the call itself is unchanged)
            from nbrun.sync.client import BackendClient

            upload = BackendClient.upload_blob
            sizes = self.uploads

            def counted(client: Any, sha256: str, data: Any, timeout: Any = None) -> Any:
                sizes.append(os.fstat(data.fileno()).st_size if hasattr(data, "fileno") else 0)
                return upload(client, sha256, data, timeout=timeout)

            BackendClient.upload_blob = counted  # type: ignore[method-assign]

    def add(self, src: Path) -> None:
        self.artifact = self.tracker.module.Artifact(ARTIFACT, "dataset")
        self.artifact.add_dir(src)

    def log(self) -> None:
        self.tracker.run.log_artifact(self.artifact)

    def wait(self) -> None:
        if self.online:
            self.artifact.wait()

    def download(self, dst: Path) -> Path:
        return Path(self.tracker.run.use_artifact(f"{ARTIFACT}:latest").download(dst))

    def forget(self, work: Path) -> None:
        shutil.rmtree(Path(os.environ["NBRUN_DATA_DIR"]) / "artifacts")


class WandbSubject(Subject):
    can_download = False  # offline, use_artifact needs wandb's server

    def __init__(self) -> None:
        self.tracker = Wandb()
        self.artifact: Any = None

    def add(self, src: Path) -> None:
        self.artifact = self.tracker.module.Artifact(ARTIFACT, "dataset")
        self.artifact.add_dir(str(src))

    def log(self) -> None:
        self.tracker.run.log_artifact(self.artifact)

    def finish(self) -> None:
        self.tracker.run.finish()


class TrackioSubject(Subject):
    reads_in_add = False  # add_dir lists the files; log_artifact stages (hashes, copies) them

    def __init__(self) -> None:
        self.tracker = Trackio()
        self.artifact: Any = None

    def add(self, src: Path) -> None:
        self.artifact = self.tracker.module.Artifact(ARTIFACT, "dataset")
        self.artifact.add_dir(src)

    def log(self) -> None:
        self.tracker.module.log_artifact(self.artifact)

    def download(self, dst: Path) -> Path:
        return Path(self.tracker.module.use_artifact(f"{ARTIFACT}:latest").download(dst))


class MlflowSubject(Subject):
    """MLflow has no artifact objects or versions: ``log_artifacts(folder)`` copies a folder
    into the run's artifacts; a second version is the folder logged by a second run."""

    reads_in_add = has_add = False

    def __init__(self, server: bool) -> None:
        self.tracker = Mlflow(tracking_uri=os.environ.get("MLFLOW_TRACKING_URI"))
        self.from_server = server
        self.server = server
        self.src: Path | None = None
        self.run_id = ""

    def start(self, work: Path) -> None:
        mlflow = self.tracker.module
        mlflow.set_tracking_uri(self.tracker.tracking_uri or f"sqlite:///{work / 'mlflow.db'}")
        if mlflow.get_experiment_by_name("bench") is None:
            # Locally, the artifacts go to a folder of the worker's; the server decides itself.
            location = None if self.server else (work / "mlartifacts").as_uri()
            mlflow.create_experiment("bench", artifact_location=location)
        mlflow.set_experiment("bench")
        self.tracker.run = mlflow.start_run()

    def add(self, src: Path) -> None:
        self.src = src

    def log(self) -> None:
        self.tracker.module.log_artifacts(str(self.src), artifact_path="data")
        self.run_id = self.tracker.run.info.run_id

    def finish(self) -> None:
        self.tracker.module.end_run()

    def download(self, dst: Path) -> Path:
        from mlflow.artifacts import download_artifacts

        return Path(download_artifacts(run_id=self.run_id, artifact_path="data", dst_path=dst))


SUBJECTS: dict[str, Callable[[], Subject]] = {
    "nbrun-offline": lambda: NbrunSubject(online=False),
    "nbrun-server": lambda: NbrunSubject(online=True),
    "wandb": WandbSubject,
    "trackio": TrackioSubject,
    "mlflow-local": lambda: MlflowSubject(server=False),
    "mlflow-server": lambda: MlflowSubject(server=True),
}


# --------------------------------------------------------------------------------------------
# Worker: runs inside the fresh subprocess.
# --------------------------------------------------------------------------------------------


class Watch:
    """What one timed part costs: wall clock, CPU of this process tree (and of the server's),
    bytes written, and how the tracker's folders (and the server's) grew."""

    def __init__(self, work: Path, server_dir: Path | None, server_pid: int | None) -> None:
        self.work, self.server_dir, self.server_pid = work, server_dir, server_pid

    def start(self) -> None:
        self.dropped = drop_caches()
        self.files0, self.server_files0 = stored(self.work), stored(self.server_dir)
        self.written0 = own_tree_written()
        self.server_cpu0 = tree_cpu_s(self.server_pid) if self.server_pid else 0.0
        self.cpu0 = own_tree_cpu_s()
        self.t0 = time.perf_counter()

    def lap(self) -> float:
        """Seconds since ``start``."""
        return time.perf_counter() - self.t0

    def end(self, prefix: str) -> dict[str, Any]:
        elapsed = self.lap()
        cpu = own_tree_cpu_s() - self.cpu0
        server_cpu = tree_cpu_s(self.server_pid) - self.server_cpu0 if self.server_pid else None
        written = own_tree_written()
        files, server_files = stored(self.work), stored(self.server_dir)
        t = time.perf_counter()
        os.sync()  # what the OS still had to write out (the trackers do not fsync)
        sync_s = time.perf_counter() - t
        server_new = new_files(self.server_files0, server_files)
        return {
            f"{prefix}_end_s": elapsed,
            f"{prefix}_cpu_s": cpu,
            f"{prefix}_server_cpu_s": server_cpu,
            f"{prefix}_write_mb": (written[0] - self.written0[0]) / MB,
            f"{prefix}_disk_write_mb": (written[1] - self.written0[1]) / MB,
            f"{prefix}_stored_mb": grown(self.files0, files) / MB,
            f"{prefix}_server_stored_mb": (
                grown(self.server_files0, server_files) / MB if self.server_dir else None
            ),
            f"{prefix}_server_new_files": server_new[0] if self.server_dir else None,
            f"{prefix}_sync_s": sync_s,
            "caches_dropped": self.dropped,
        }


def log_version(
    subject: Subject, prefix: str, src: Path, work: Path, watch: Watch, size: int
) -> dict[str, Any]:
    """A new run that builds an artifact of ``src``, logs it, waits for it (online) and
    finishes; the figures of that, keys starting with ``prefix``."""
    subject.start(work)  # untimed: the run's start
    store = Path(os.environ["NBRUN_DATA_DIR"]) / "artifacts" / "blobs"
    blobs0 = stored(store)
    uploads0 = len(getattr(subject, "uploads", ()))
    watch.start()
    subject.add(src)
    added = watch.lap()
    subject.log()
    logged = watch.lap()
    subject.wait()
    waited = watch.lap()
    subject.finish()
    figures = watch.end(prefix)
    blobs = new_files(blobs0, stored(store))
    uploads = getattr(subject, "uploads", [])[uploads0:]
    figures.update(
        {
            f"{prefix}_add_s": added if subject.has_add else None,
            f"{prefix}_log_ms": (logged - added) * 1e3,
            f"{prefix}_caller_s": logged,
            f"{prefix}_add_mb_per_s": size / MB / added if subject.reads_in_add else None,
            f"{prefix}_caller_mb_per_s": size / MB / logged,
            f"{prefix}_wait_s": waited if subject.waits else None,
            f"{prefix}_new_blobs": blobs[0] if isinstance(subject, NbrunSubject) else None,
            f"{prefix}_new_blob_kb": blobs[1] / 1024 if isinstance(subject, NbrunSubject) else None,
            f"{prefix}_uploads": len(uploads) if subject.can_forget else None,
            f"{prefix}_upload_mb": sum(uploads) / MB if subject.can_forget else None,
        }
    )
    return figures


def timed_download(
    subject: Subject, src: Path, dst: Path, watch: Watch, size: int, prefix: str
) -> dict[str, Any]:
    """``download`` of the latest version into ``dst``, timed; checked against ``src``, then
    removed."""
    watch.start()
    folder = subject.download(dst)
    elapsed = watch.lap()
    exact = same_tree(src, folder)
    shutil.rmtree(dst, ignore_errors=True)
    return {f"{prefix}_mb_per_s": size / MB / elapsed, f"{prefix}_exact": exact}


def worker(args: argparse.Namespace) -> dict[str, Any]:
    """Measure one tracker: two versions logged, then downloads and a plain copy."""
    subject = SUBJECTS[args.worker]()
    subject.import_()
    tmp: Path = args.tmp
    src, work = tmp / "src", tmp / "work"
    server_dir = Path(args.server_dir) if args.server_dir else None
    watch = Watch(work, server_dir, args.server_pid)
    size = make_data(src, args.files, args.size_mb)
    figures: dict[str, Any] = {"files": args.files, "data_mb": size / MB}

    figures.update(log_version(subject, "v1", src, work, watch, size))
    figures["changed_kb"] = change_one_file(src) / 1024
    figures.update(log_version(subject, "v2", src, work, watch, size))
    v1, v2 = figures["v1_new_blobs"], figures["v2_new_blobs"]
    figures["v2_only_changed"] = None if v1 is None else v2 == 2  # the changed file + manifest

    # Downloads: into a run that uses the version (MLflow: the second run's artifacts).
    subject.start(work)
    if subject.can_download and not subject.from_server:
        figures.update(timed_download(subject, src, tmp / "dl-local", watch, size, "local"))
    watch.start()
    shutil.copytree(src, tmp / "dl-copy")
    figures["copy_mb_per_s"] = size / MB / watch.lap()
    shutil.rmtree(tmp / "dl-copy")
    if subject.can_forget:
        subject.forget(work)
    if subject.can_download and (subject.can_forget or subject.from_server):
        figures.update(timed_download(subject, src, tmp / "dl-server", watch, size, "server"))
    subject.finish()
    for where in ("local", "server"):
        if figures.get(f"{where}_mb_per_s"):
            figures[f"{where}_vs_copy"] = figures[f"{where}_mb_per_s"] / figures["copy_mb_per_s"]
    _, _, peak = own_tree_rss()
    figures["peak_rss_mb"] = peak / MB
    shutil.rmtree(src)
    return figures


# --------------------------------------------------------------------------------------------
# Driver.
# --------------------------------------------------------------------------------------------


def measure_once(config: str, args: argparse.Namespace, pg: Postgres) -> dict[str, Any]:
    """A fresh temp dir (and server) for ``config``, and a fresh worker in it."""
    mode = ["--worker", config, "--files", str(args.files), "--size-mb", str(args.size_mb)]
    with fresh_dir(f"bench-artifact-{config}-") as tmp:
        client = tmp / "client"
        work = client / "work"
        work.mkdir(parents=True)
        env = local_env(work)
        env["NBRUN_DATA_DIR"] = str(work / "nbrun-data")
        kind = SERVER_KIND.get(config)
        if kind is None:
            return run_worker(__file__, mode, client, env, WORKER_TIMEOUT_S)
        server_tmp = tmp / "server"
        server_tmp.mkdir()
        with running_server(kind, server_tmp, pg) as (server, server_env, _):
            env.update({k: v for k, v in server_env.items() if k.startswith(("NBRUN_", "MLFLOW_"))})
            env["NBRUN_DATA_DIR"] = str(work / "nbrun-data")
            mode += ["--server-pid", str(server.pid), "--server-dir", str(server_tmp)]
            figures = run_worker(__file__, mode, client, env, WORKER_TIMEOUT_S)
            figures["server_tracebacks"] = server.tracebacks()
            return figures


def measure(config: str, args: argparse.Namespace, pg: Postgres) -> Outcome:
    runs, error = [], None
    for i in range(args.repeats):
        print(f"  {LABELS[config]}: run {i + 1}/{args.repeats}", file=sys.stderr, flush=True)
        try:
            runs.append(measure_once(config, args, pg))
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            break
    if not runs:
        return Outcome(config, error=error)
    every = ["local_exact", "server_exact", "caches_dropped", "v2_only_changed"]
    merged = median_runs(runs, every=[k for k in every if runs[-1].get(k) is not None])
    merged["server_tracebacks"] = sum(int(r.get("server_tracebacks", 0)) for r in runs)
    return Outcome(config, merged, error)


# --------------------------------------------------------------------------------------------
# Report.
# --------------------------------------------------------------------------------------------

V1_SPEC = [  # (key, label, format)
    ("v1_add_s", "add_dir (s)", "{:.2f}"),
    ("v1_add_mb_per_s", "add_dir throughput: read, hash, store (MB/s)", "{:,.0f}"),
    ("v1_log_ms", "log_artifact (ms) [MLflow: log_artifacts]", "{:,.1f}"),
    ("v1_caller_s", "caller thread: add_dir + log_artifact (s)", "{:.2f}"),
    ("v1_caller_mb_per_s", "  size ÷ that time (MB/s)", "{:,.0f}"),
    ("v1_wait_s", "until wait() returns: committed (s)", "{:.2f}"),
    ("v1_end_s", "until finish() returns: durable (s)", "{:.2f}"),
    ("v1_cpu_s", "CPU, client process and helpers (s)", "{:.2f}"),
    ("v1_server_cpu_s", "CPU, server (s)", "{:.2f}"),
    ("v1_stored_mb", "bytes stored by the client (MB)", "{:,.1f}"),
    ("v1_server_stored_mb", "bytes stored by the server (MB)", "{:,.1f}"),
    ("v1_upload_mb", "blobs uploaded (MB)", "{:,.1f}"),
    ("v1_write_mb", "write() calls of the client (MB)", "{:,.1f}"),
    ("v1_disk_write_mb", "of which reaching the disk (MB)", "{:,.1f}"),
    ("v1_sync_s", "os.sync() after finish (s)", "{:.2f}"),
]

V2_SPEC = [
    ("v2_caller_s", "caller thread: add_dir + log_artifact (s)", "{:.2f}"),
    ("v2_add_mb_per_s", "add_dir throughput (MB/s)", "{:,.0f}"),
    ("v2_wait_s", "until wait() returns: committed (s)", "{:.2f}"),
    ("v2_end_s", "until finish() returns: durable (s)", "{:.2f}"),
    ("v2_cpu_s", "CPU, client process and helpers (s)", "{:.2f}"),
    ("v2_server_cpu_s", "CPU, server (s)", "{:.2f}"),
    ("v2_stored_mb", "bytes stored by the client (MB)", "{:,.2f}"),
    ("v2_new_blobs / v2_new_blob_kb", "new blobs in nbrun's store (count / KB)", "{} / {:,.0f}"),
    ("v2_server_stored_mb", "bytes stored by the server (MB)", "{:,.2f}"),
    ("v2_uploads / v2_upload_mb", "blobs uploaded (count / MB)", "{} / {:,.2f}"),
    ("v2_only_changed", "only the changed file and the manifest stored", "{}"),
    ("v2_write_mb", "write() calls of the client (MB)", "{:,.1f}"),
    ("v2_disk_write_mb", "of which reaching the disk (MB)", "{:,.1f}"),
]

DOWNLOAD_SPEC = [
    ("local_mb_per_s", "download from this machine's store (MB/s)", "{:,.0f}"),
    ("local_vs_copy", "  ÷ copytree speed", "{:.2f}"),
    ("server_mb_per_s", "download from the server (MB/s)", "{:,.0f}"),
    ("server_vs_copy", "  ÷ copytree speed", "{:.2f}"),
    ("copy_mb_per_s", "shutil.copytree of the folder (MB/s)", "{:,.0f}"),
    ("local_exact / server_exact", "downloaded files exact (store / server)", "{} / {}"),
    ("peak_rss_mb", "peak RSS of the client, all processes (MB)", "{:,.0f}"),
    ("repeats", "runs (median quoted)", "{}"),
]

RATIOS = [
    ("v1_caller_s", "v1 caller thread (lower is better)"),
    ("v1_end_s", "v1 until durable (lower is better)"),
    ("v1_cpu_s", "v1 client CPU (lower is better)"),
    ("v2_end_s", "v2 until durable (lower is better)"),
    ("v2_stored_mb", "v2 bytes stored (lower is better)"),
    ("v2_server_stored_mb", "v2 bytes stored by the server (lower is better)"),
    ("local_mb_per_s", "download from the local store, MB/s (higher is better)"),
    ("server_mb_per_s", "download from the server, MB/s (higher is better)"),
]
# Which nbrun configuration each peer is set against.
PAIRS = [
    ("nbrun-offline", "wandb"),
    ("nbrun-offline", "trackio"),
    ("nbrun-offline", "mlflow-local"),
    ("nbrun-server", "mlflow-server"),
]


def _checks(o: Outcome) -> list[str]:
    f, label, notes = o.figures, LABELS[o.name], []
    for where in ("local", "server"):
        if f.get(f"{where}_exact") is False:
            notes.append(f"{label}: the download from the {where} store differs from the data!")
    if not f.get("caches_dropped"):
        notes.append(f"{label}: the page cache could not be dropped (not root): reads were warm.")
    return notes


def goals(outcomes: list[Outcome], changed_kb: float) -> str:
    """Issue 14's goals, for each nbrun configuration."""
    lines = []
    for o in outcomes:
        if not o.name.startswith("nbrun") or o.error:
            continue
        f = o.figures
        rate = f["v1_add_mb_per_s"]
        only = bool(f.get("v2_only_changed"))
        line = (
            f"- {LABELS[o.name]}: add_dir at {rate:,.0f} MB/s (goal ≥ 500){mark(rate >= 500)}; "
            f"second version stored {f['v2_new_blobs']} new blobs, {f['v2_new_blob_kb']:,.0f} KB "
            f"(goal: the changed file, {changed_kb:,.0f} KB, and the manifest){mark(only)}"
        )
        if f.get("v2_uploads") is not None:
            up_ok = f["v2_uploads"] == 2
            line += f", uploaded {f['v2_uploads']} blobs, {f['v2_upload_mb']:,.2f} MB{mark(up_ok)}"
        lines.append(line + ".")
    return "\n".join(lines)


def build_report(outcomes: list[Outcome], args: argparse.Namespace) -> str:
    size = args.size_mb
    per_file_kb = size * 1024 / args.files
    parts = [
        f"### (1) a new artifact: {args.files:,} files, {size:,} MB",
        spec_table(outcomes, LABELS, V1_SPEC, TARGETS),
        f"### (2) a second version, one file ({per_file_kb:,.0f} KB) changed",
        spec_table(outcomes, LABELS, V2_SPEC),
        "### (3) downloading the second version to a fresh folder",
        spec_table(outcomes, LABELS, DOWNLOAD_SPEC),
    ]
    ok = {o.name: o.figures for o in outcomes if not o.error}
    columns = [
        (f"{LABELS[ours]} / {LABELS[theirs]}", ok[ours], ok[theirs])
        for ours, theirs in PAIRS
        if ours in ok and theirs in ok
    ]
    if columns:
        parts.append("Ratios nbrun / peer:\n\n" + ratios("ratio", RATIOS, columns))
    if goal_lines := goals(outcomes, per_file_kb):
        parts.append("Issue 14's goals:\n\n" + goal_lines)
    if notes := outcome_notes(outcomes, LABELS, _checks):
        parts.append(notes)
    return "\n\n".join(parts)


OPTIONS = [  # (flag, default, help)
    ("--size-mb", 1_000, "total size of the folder in MB of 2**20 bytes (1000)"),
    ("--files", 1_000, "files in the folder (1000)"),
    ("--repeats", 3, "fresh-process runs per configuration, medians quoted (3)"),
]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = bench_parser(
        __doc__, OPTIONS, CONFIGS, list(SUBJECTS), server=True, hidden=["--server-dir"]
    )
    args = p.parse_args(argv)
    if min(args.size_mb, args.files, args.repeats) < 1:
        p.error("--size-mb, --files and --repeats must be >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return work(args, {args.worker: worker})

    def measure_config(config: str, pg: Postgres) -> Outcome:
        print(f"measuring {LABELS[config]}...", file=sys.stderr, flush=True)
        return measure(config, args, pg)

    configs = chosen(args.only, CONFIGS, "config")
    section = Section(SECTION, __file__)
    outcomes, _ = on_servers(configs, CONFIGS, measure_config)
    versions = [f"{n} {version_of(n)}" for n in ("nbrun", "wandb", "trackio", "mlflow")]
    versions += [f"{n} {version_of(n)}" for n in ("fastapi", "uvicorn", "sqlalchemy", "psutil")]
    method = prose("artifact_log")["method"].format(
        repeats=args.repeats, files=args.files, size_mb=args.size_mb
    )
    report = [build_report(outcomes, args), method]
    section.publish(versions, report, write=not args.no_write)
    return 0 if all(o.error is None for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
