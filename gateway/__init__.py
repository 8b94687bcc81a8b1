"""Gateway: upload, probe, single-pass decoding, shot segmentation, per-shot fan-out, jobs."""
