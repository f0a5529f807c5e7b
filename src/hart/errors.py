"""The one error type the CLI turns into a clear message and a non-zero exit."""


class HartError(Exception):
    """A user-facing error: the message names the file, key or value at fault."""
