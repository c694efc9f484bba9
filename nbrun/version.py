"""nbrun's version, written once: the facade, the CLI, the server and the wheel read it here."""

__version__ = "0.1.0"
