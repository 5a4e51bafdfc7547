"""Retrieval: embeddings, the Chroma-backed index, hybrid search."""
