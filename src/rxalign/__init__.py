"""rxalign: an alignment pipeline for safety-critical domains (research and education software, not for clinical use)."""

__version__ = "0.1.0"
