"""Fusion service: one emotion judgement per shot from the face, text and audio scores."""
