"""Documents are embedded through the verified ONNX export: the same vectors as
sentence-transformers, without torch in the ingest process."""

from __future__ import annotations

import numpy as np

from bot.retrieval.embedding import (
    DocumentEncoder,
    OnnxQueryEncoder,
    load_encoder,
    resolve_model,
)
from tests.corpora import KNOWLEDGE


def test_batched_onnx_document_vectors_match_sentence_transformers(kb_settings):
    model = resolve_model(kb_settings.embed_model)
    onnx = load_encoder(model, str(kb_settings.cache_dir))
    assert isinstance(onnx, OnnxQueryEncoder)
    text = (KNOWLEDGE / "04-math.md").read_text()
    # Short lines and a long one (over the model's 256 tokens) in the same call.
    texts = [line for line in text.splitlines() if line.strip()][:40] + [text[:3000]]
    got = onnx.encode(texts)
    want = DocumentEncoder(model).encode(texts)
    cos = (got * want).sum(axis=1)
    assert float(cos.min()) >= 0.999, cos
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-4)
    # One at a time (as questions are encoded) equals the batched vector.
    assert float(onnx.encode_query(texts[3]) @ got[3]) >= 0.9999
