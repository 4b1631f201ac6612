"""Judicial confirmation (司法确认): the joint application, the court's evidence package, the ruling."""
