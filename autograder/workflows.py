"""Instructor and Classroom commands (release, batch, classroom-template)."""

from __future__ import annotations


def add_commands(sub, epilog: str) -> None:
    """Register the workflow sub-commands on the CLI's sub-parser."""
