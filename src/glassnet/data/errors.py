"""The errors a dataset loader raises: each names the file, what was expected, and the fix."""
from __future__ import annotations


class DatasetError(Exception):
    """A dataset file is missing, truncated, corrupted or fails its checksum."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """No local copy was found and none could be downloaded."""


class ChecksumError(DatasetError):
    """A file's SHA-256 is not the one published for it."""


class DownloadError(DatasetError):
    """Every mirror failed; the message lists each URL and why."""
