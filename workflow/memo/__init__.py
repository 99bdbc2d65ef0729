"""The tjänsteutlåtande (decision memo) built from the case and its dossier."""
