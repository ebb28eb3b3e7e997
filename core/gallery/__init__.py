"""The offender gallery: persons of interest, exclusions, retention."""
