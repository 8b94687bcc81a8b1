"""Gateway: uploads, probing, shot segmentation, fan-out to the modality services, jobs, results."""
