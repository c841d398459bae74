"""Personal data: finding it (`matcher`), replacing it (`redact`) and counting it (`annotator`)."""

from thresher.pii.matcher import PII_KINDS, PiiSpan, find_pii
from thresher.pii.redact import DEFAULT_PLACEHOLDERS, RedactSettings, redact

__all__ = ["DEFAULT_PLACEHOLDERS", "PII_KINDS", "PiiSpan", "RedactSettings", "find_pii", "redact"]
