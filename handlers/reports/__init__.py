"""Resident reports: the guided intake, residents' own reports, and the coordinators' queue."""
