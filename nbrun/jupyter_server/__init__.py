"""The Jupyter server side: nbrun's server extension and its read-only proxy to the backend.
Runs in the Jupyter server process, never in a kernel: it imports nothing of the kernel side."""
