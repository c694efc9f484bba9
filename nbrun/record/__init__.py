"""The run record log: the client's source of truth, one format used everywhere."""
