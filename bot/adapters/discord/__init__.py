"""Discord adapter (discord.py 2.7): translation only, every decision is the core's."""
