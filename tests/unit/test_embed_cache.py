"""The embedding cache: vectors come back exactly, per model, and only at the right size."""

from __future__ import annotations

import numpy as np

from bot.retrieval.embed_cache import EmbeddingCache


def test_vectors_come_back_for_texts_seen_before_and_per_model(tmp_path):
    cache = EmbeddingCache(tmp_path, "model-a", dim=3)
    vecs = np.asarray([[1, 0, 0], [0, 0.5, 0.5]], dtype=np.float32)
    cache.put(["Linear algebra.", "Calculus \ud800 odd."], vecs)
    got = cache.get(["new text", "Calculus \ud800 odd.", "Linear algebra."])
    assert set(got) == {1, 2}
    assert np.array_equal(got[1], vecs[1]) and np.array_equal(got[2], vecs[0])
    assert EmbeddingCache(tmp_path, "model-b", dim=3).get(["Linear algebra."]) == {}
    assert EmbeddingCache(tmp_path, "model-a", dim=4).get(["Linear algebra."]) == {}
    many = [f"text {i}" for i in range(1200)]  # more keys than one query may bind
    cache.put(many, np.ones((1200, 3), dtype=np.float32))
    assert len(cache.get(many)) == 1200
