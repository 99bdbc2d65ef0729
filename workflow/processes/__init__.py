"""Process definitions: the loaded versions (registry) and their administration."""
