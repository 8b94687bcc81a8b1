"""The modality services (face, text, audio) and the fusion service."""
