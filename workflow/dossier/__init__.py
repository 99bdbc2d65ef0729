"""The decision dossier (beslutsunderlag): benefit calculation, procurement check and
information classification, as plain functions over validated inputs (docs/dossier-rules.md,
docs/procurement-rules.md).

No Flask and no database here: the service layer stores the inputs, hands in the facts
(linked objects, other cases' procurements, dates) and keeps the results.
"""
