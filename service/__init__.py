"""Delivery around the audio_pipeline library: the CLI now, the HTTP service and batch later."""
