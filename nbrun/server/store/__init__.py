"""The server's storage, split by concern: runs, history, files and blobs, record ingest."""
