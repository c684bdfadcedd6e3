"""rxalign: an alignment pipeline for safety-critical domains (research and education software, not for clinical use)."""

import logging

# bitsandbytes (imported with peft) warns on CPUs with AVX512-BF16 that it cannot fetch an optional 4-bit kernel
# from the Hub; it falls back to its own kernel, and rxalign never reaches the Hub. Set before peft is imported.
logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)

__version__ = "0.1.0"
