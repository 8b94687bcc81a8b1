"""Training and export code of the audio emotion model (torch; never imported at serving time)."""
