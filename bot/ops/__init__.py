"""Operations: health and readiness, Prometheus metrics, JSON logs, `mlbot doctor`."""
