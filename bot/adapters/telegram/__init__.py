"""Telegram adapter (python-telegram-bot 22): translation only, every decision is the core's."""
