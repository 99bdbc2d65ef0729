"""Webhooks: a förvaltning's case events delivered as signed JSON (docs/webhooks.md)."""
