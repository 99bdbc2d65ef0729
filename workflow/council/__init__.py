"""The digitaliseringsråd's scoring and ranking of proposals (docs/prioritisation.md)."""
