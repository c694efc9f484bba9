"""Opening the blob store a server's configuration names (kept apart from the stores, which
import nothing of each other)."""

from __future__ import annotations

from nbrun.server.config import ServerConfig
from nbrun.server.store.blobs import BlobStore, DiskBlobStore


def open_blob_store(config: ServerConfig) -> BlobStore:
    """The store ``config`` names: S3 for an ``s3://`` storage URL (checked to be reachable:
    ``RuntimeError`` saying why not), the local disk otherwise."""
    if config.storage_url is None:
        return DiskBlobStore(config.storage_dir)
    try:
        from nbrun.server.store.s3_blobs import S3BlobStore  # boto3: only for S3 storage
    except ImportError as e:
        raise RuntimeError(
            f"refusing to start: --storage {config.storage_url} needs boto3 "
            f"(pip install 'nbrun[s3]'): {e}"
        ) from None
    return S3BlobStore(config.storage_url, spool=config.storage_dir / "tmp")
