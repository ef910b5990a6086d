"""Firearm trace requests between nodes (rastreo de armas): asking, answering, the queue."""
