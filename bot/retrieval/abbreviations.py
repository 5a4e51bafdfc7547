"""Short forms learners type for words the roadmap spells out ("vector db", "dl vs ml",
"k8s", "eda"): expanded in the search query, so both the keyword and the embedding side see
the words the documents use. Only forms with one clear meaning in ML study are listed ("cv"
could be a résumé, so it is not)."""

from __future__ import annotations

import re

EXPANSIONS = {
    "db": "database",
    "dbs": "databases",
    "dl": "deep learning",
    "nn": "neural network",
    "nns": "neural networks",
    "rl": "reinforcement learning",
    "eda": "exploratory data analysis",
    "prod": "production",
    "algo": "algorithm",
    "algos": "algorithms",
    "stats": "statistics",
    "viz": "visualisation",
    "k8s": "kubernetes",
    "tf": "tensorflow",
    "sklearn": "scikit-learn",
    "hf": "hugging face",
    "slm": "small language model",
    "slms": "small language models",
    "gpu's": "gpus",
    "clt": "central limit theorem",
    "knn": "k-nearest neighbours",
    "svms": "support vector machines",
    "dsa": "data structures and algorithms",
    "oop": "object-oriented programming",
    "sota": "state of the art",
    "genai": "generative ai",
    "xgb": "xgboost",
    "gbdt": "gradient-boosted trees",
    "acc": "accuracy",
    "val acc": "validation accuracy",
    "val loss": "validation loss",
    "val set": "validation set",
    "val data": "validation data",
    "recsys": "recommendation system",
    "hyperparams": "hyperparameters",
    "hparams": "hyperparameters",
    "evals": "evaluations",
    "comps": "competitions",
    "chatgpt": "chatgpt large language model",
}
# Longest first, so "val acc" is read before "acc".
_FORMS = sorted(EXPANSIONS, key=len, reverse=True)
_WORD = re.compile(r"(?<![\w&-])(" + "|".join(map(re.escape, _FORMS)) + r")(?![\w&-])", re.I)


def expand(text: str) -> str:
    """The text with each listed short form replaced by what it stands for."""
    return _WORD.sub(lambda m: EXPANSIONS[m.group(1).lower()], text)
