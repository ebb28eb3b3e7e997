"""Resident reports: intake, routing, case reviews, status and history."""
