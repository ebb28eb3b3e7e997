"""Data rights: a copy of everything held about a person, and its erasure (UK GDPR 15, 17)."""
