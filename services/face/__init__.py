"""Face service: face detection and facial emotion per frame, per face."""
