"""Marks user-facing texts for translation without importing Flask.

The texts are Swedish (the product's first language); the service layer translates them
with Flask-Babel when it shows them, and ``pybabel extract -k N_`` collects them.
"""


def N_(message: str) -> str:
    return message
