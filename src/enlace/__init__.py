"""Enlace: bilateral security cooperation between sovereign parties."""

__version__ = "0.1.0"
