"""The embedded default that `make run` serves: SQLite, in-memory channel layer, offline payments."""

from .base import *  # noqa: F403
