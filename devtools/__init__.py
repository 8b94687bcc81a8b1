"""Local development tools shared by tests, benchmarks and the demo (local PostgreSQL, ...)."""
