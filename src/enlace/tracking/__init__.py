"""Tracking results: meetings, commitments, actions, indicators and public statistics."""
