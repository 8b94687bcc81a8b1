"""Code every service shares: labels, errors, settings, inference backends, metrics, health."""
