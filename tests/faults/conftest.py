"""The chaos suite: faults a user meets (a killed client or server, a full disk, a backend that
is away, slow or silent, poisoned values, hostile requests), each asserted by what the user
sees. The real-server fixtures are the sync tests' own."""

from tests.sync.conftest import server, server_process

__all__ = ["server", "server_process"]
