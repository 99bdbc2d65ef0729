"""The plan: goal areas, actions and the cases parked for a later year."""
