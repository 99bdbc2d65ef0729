"""The organisation: the region, its förvaltningar and units, and their settings."""
