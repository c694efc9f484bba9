"""``python -m nbrun.server``: run the backend server in the foreground."""

from nbrun.server.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
