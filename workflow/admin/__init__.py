"""The administration's start page, support pages and the append-only admin log."""
