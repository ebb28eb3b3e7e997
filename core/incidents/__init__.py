"""Incidents traders post to their scheme."""
