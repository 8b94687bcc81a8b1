"""Text service: emotion of subtitle lines and transcripts, many lines per request."""
