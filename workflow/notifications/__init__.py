"""Notifications in the app and by email, reminders, escalations and the status link."""
