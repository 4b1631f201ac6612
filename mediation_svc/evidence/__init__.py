"""A case's evidence: photos and PDFs the consumer or the staff upload, checked by content, images re-encoded
without their metadata, each recorded with its SHA-256 in the case's audit; the court sees the shared ones
(issue 18)."""
