"""Text preparation run before any signal: Unicode repair and PII redaction."""
