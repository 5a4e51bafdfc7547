"""Adapters: translate platform events into core Requests and Replies into platform messages."""
