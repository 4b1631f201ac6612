"""The consumer's own service: prove a phone by SMS code, then follow one's cases and complaints (issue 18)."""
