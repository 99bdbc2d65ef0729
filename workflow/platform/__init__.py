"""What every feature builds on: extensions and settings, logging, i18n and templating,
errors and input validation, the request guard, the audit hash chain and PDF rendering.
No feature's business rules live here."""
