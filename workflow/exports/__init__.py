"""Exports of the cases and dossiers a user may see (CSV, Excel)."""
