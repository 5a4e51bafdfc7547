"""The /progress chart: a horizontal bar per stage, rendered to PNG bytes with matplotlib."""

from __future__ import annotations

import io


def progress_png(rows: list[tuple[str, int, int]], title: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    labels = [r[0] for r in rows][::-1]
    done = [r[1] for r in rows][::-1]
    total = [r[2] for r in rows][::-1]
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(rows) + 1.2), dpi=100)
    ax.barh(labels, total, color="#e3e7ee", label="to do")
    ax.barh(labels, done, color="#2f7de1", label="done")
    for y, (d, t) in enumerate(zip(done, total, strict=True)):
        ax.text(t + 0.2, y, f"{d}/{t}", va="center", fontsize=8)
    ax.set_xlabel("tasks")
    ax.set_title(title, fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_xlim(0, max(total + [1]) * 1.15)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()
