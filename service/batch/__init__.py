"""Batch processing for study coordinators: a folder of recordings (and a manifest) in, transcripts and a summary out."""

from .runner import run_batch
from .types import BatchInterrupted, BatchReport, BatchRequest, RemoteServer

__all__ = ["BatchInterrupted", "BatchReport", "BatchRequest", "RemoteServer", "run_batch"]
