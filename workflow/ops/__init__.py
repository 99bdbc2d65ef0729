"""Operations: the ``flask`` CLI, the scheduler and its jobs, backup and restore, seeding
the demo, bootstrapping the first administrator and GDPR export/erasure."""
