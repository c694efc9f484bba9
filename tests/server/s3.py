"""A real S3-protocol server process (moto's server mode) and a view of what a bucket holds."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.processes import stop_process

BUCKET = "nbrun-test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def s3_unavailable(reason: str) -> NoReturn:
    # CI sets NBRUN_TEST_REQUIRE_S3: there a missing moto is a failure, not a skip.
    if os.environ.get("NBRUN_TEST_REQUIRE_S3"):
        pytest.fail(reason)
    pytest.skip(reason)


class MotoS3:
    """``python -m moto.server`` on a free loopback port, with one bucket made through boto3."""

    def __init__(self, log: Path) -> None:
        self.endpoint = f"http://127.0.0.1:{free_port()}"
        port = self.endpoint.rsplit(":", 1)[1]
        argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", port]
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=out)
        self._wait_for_port(log)
        import boto3  # the test extra's (moto depends on it)

        self.client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name="us-east-1",
        )
        self.client.create_bucket(Bucket=BUCKET)

    def _wait_for_port(self, log: Path, timeout: float = 30.0) -> None:
        host, port = self.endpoint.removeprefix("http://").split(":")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, log.read_text()
            with contextlib.suppress(OSError), socket.create_connection((host, int(port)), 1):
                return
            time.sleep(0.05)
        raise RuntimeError(f"moto server never listened: {log.read_text()}")

    def env(self, home: Path) -> dict[str, str]:
        """The environment of a server process using this S3 (``home``: no ~/.aws there)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        return env | {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": str(home / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
            "NBRUN_DATA_DIR": str(home / "data"),  # uploads spool in its storage/tmp
        }

    def stop(self) -> None:
        stop_process(self.proc)


class BucketView:
    """The objects under one prefix of the bucket, as ``aws s3 ls`` would show them."""

    def __init__(self, s3: MotoS3, prefix: str) -> None:
        self.client = s3.client
        self.prefix = prefix

    @property
    def url(self) -> str:
        return f"s3://{BUCKET}/{self.prefix}"

    def object_keys(self) -> list[str]:
        """Every object's key below the prefix (without it)."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=BUCKET, Prefix=self.prefix + "/"
        )
        start = len(self.prefix) + 1
        return sorted(o["Key"][start:] for page in pages for o in page.get("Contents", []))

    def read(self, key: str) -> bytes | None:
        try:
            found = self.client.get_object(Bucket=BUCKET, Key=f"{self.prefix}/{key}")
        except self.client.exceptions.NoSuchKey:
            return None
        body: bytes = found["Body"].read()
        return body

    def head(self, key: str) -> dict[str, Any]:
        found: dict[str, Any] = self.client.head_object(Bucket=BUCKET, Key=f"{self.prefix}/{key}")
        return found
