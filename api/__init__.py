"""The HTTP API: Flask blueprints over the lower layers; every error an RFC 9457 problem document."""
