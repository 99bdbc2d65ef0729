"""Cases: creating, editing and firing events (the one place a case changes state), who may
see and act (access), consent-based merge, and the case pages and JSON API."""
