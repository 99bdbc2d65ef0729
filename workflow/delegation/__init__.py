"""The delegationsordning as data and the anmälan av delegationsbeslut (docs/delegation.md)."""
