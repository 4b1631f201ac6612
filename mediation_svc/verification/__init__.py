"""Verification of signed PDFs for courts: the ETSI-style report, its JSON/PDF/JWS forms, code look-ups."""
