"""Preview server: ``masthead serve`` (to be written)."""

from __future__ import annotations

import argparse


def add_serve_command(commands: argparse._SubParsersAction) -> None:
    """Register ``masthead serve`` on the command line."""
