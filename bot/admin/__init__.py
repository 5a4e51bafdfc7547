"""Admin features: re-ingest from chat, document management, audit log, feedback and stats."""
