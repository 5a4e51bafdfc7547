"""ML career assistant bot: one platform-neutral core, thin chat adapters."""

__version__ = "0.1.0"
