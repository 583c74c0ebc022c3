"""Batch processing for study coordinators: a folder of recordings (and a manifest) in, transcripts and a summary out."""

from .runner import BatchInterrupted, BatchReport, BatchRequest, run_batch

__all__ = ["BatchInterrupted", "BatchReport", "BatchRequest", "run_batch"]
