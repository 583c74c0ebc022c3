"""Coder review: decisions on Silence candidates and code suggestions, and corrections, on the transcript."""

from .decisions import SilenceStatus, coded_suggestions, link_decisions, silence_statuses

__all__ = ["SilenceStatus", "coded_suggestions", "link_decisions", "silence_statuses"]
