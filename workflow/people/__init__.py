"""People: accounts, sign-in (password, lockout, SSO), roles and user import."""
