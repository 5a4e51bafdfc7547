"""Prometheus metrics, one registry per process (tests create their own)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

ANSWERS = Counter("mlbot_answers", "Questions answered", ["answered"], registry=REGISTRY)
ANSWER_LATENCY = Histogram(
    "mlbot_answer_latency_seconds",
    "Time to answer a question (retrieval and selection)",
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    registry=REGISTRY,
)
NUDGES = Counter(
    "mlbot_deliveries",
    "Nudges, group posts and reminders handed to platforms",
    ["platform", "status"],
    registry=REGISTRY,
)
INGEST_RUNS = Counter(
    "mlbot_ingest_runs",
    "Re-ingest runs started from chat or schedule",
    ["result"],
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge(
    "mlbot_delivery_queue_depth", "Messages waiting in the delivery queue", registry=REGISTRY
)
LLM_ANSWERS = Counter(
    "mlbot_llm_answers",
    "Answers in the generated mode: generated, or the extractive fallback by reason",
    ["outcome", "reason"],
    registry=REGISTRY,
)
LLM_TOKENS = Counter("mlbot_llm_tokens", "Tokens spent on generated answers", registry=REGISTRY)
