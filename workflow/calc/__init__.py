"""The pure calculations: the dossier's benefit calculation (nyttokalkyl), procurement check
(LOU) and information classification (LISA), the council's prioritisation, the text
similarity behind duplicate hints, and the portfolio's charts.

Like ``workflow.states`` (the process), nothing here imports Flask or SQLAlchemy: each rule is
a plain function over facts the services hand in, tested without a server (docs/README.md).
"""
