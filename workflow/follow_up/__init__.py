"""Benefit follow-up (nyttorealisering) after go-live (docs/follow-up.md)."""
