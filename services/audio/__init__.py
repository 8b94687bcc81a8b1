"""Audio service: speech detection, speech emotion per segment, and speech-to-text."""
