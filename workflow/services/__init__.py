"""The service layer: every entry point calls these functions, never the models directly."""
