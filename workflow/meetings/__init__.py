"""Meetings: APT, digitaliseringsråd and ledningsgrupp, their agendas, decisions and minutes."""
