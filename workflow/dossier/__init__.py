"""The decision dossier (beslutsunderlag): storing and showing the benefit calculation,
procurement check and information classification. The rules themselves are pure functions in
``workflow.calc`` (docs/dossier-rules.md, docs/procurement-rules.md)."""
