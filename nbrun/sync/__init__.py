"""Getting record logs to a backend: the HTTP client, the sender thread, the embedded server."""
