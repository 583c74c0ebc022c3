"""Delivery around the audio_pipeline library: the CLI, the HTTP service, its job workers, and batch."""
