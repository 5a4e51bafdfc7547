"""The platform-neutral core: requests in, replies out."""
