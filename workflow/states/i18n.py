"""Marks user-facing texts for translation without importing Flask.

The texts are Swedish (the product's first language); the service layer translates them
with Flask-Babel when it shows them, and ``pybabel extract -k N_`` collects them.
"""


def N_(message: str) -> str:
    return message


class MessageError(ValueError):
    """A validation error whose Swedish msgid is translated before its parameters are filled
    in (platform/validation.py reads ``message`` and ``params``). ``str()`` is the Swedish
    text with the parameters filled in, for logs and pydantic's own error summary."""

    def __init__(self, message: str, params: dict | None = None):
        self.message = message
        self.params = dict(params or {})
        super().__init__(message % self.params if self.params else message)


class Texts(tuple):
    """Several msgids given as one parameter of a message; shown separated by spaces.
    platform/errors.py translates them one by one (see ``MSGID_PARAMS`` there)."""

    __slots__ = ()

    def __str__(self) -> str:
        return " ".join(self)
