"""Maintenance tools for the course (not needed by students)."""
