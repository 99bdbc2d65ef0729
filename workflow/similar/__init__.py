"""Duplicate hints: similar ideas in the region, shown while writing and on the case page
(docs/similar-ideas.md)."""
