"""The /progress chart, rendered to PNG bytes with matplotlib: one bar per stage, each the
stage's full length, done in blue and still to do in grey, so partial progress inside a stage
shows at a glance; the stage name sits above its bar (labels take no width from the bars) and
the current stage is marked."""

from __future__ import annotations

import io

DONE, TODO, NOW = "#2f7de1", "#e3e7ee", "#f08c00"


def progress_png(rows: list[tuple[str, int, int]], title: str, current: int | None = None) -> bytes:
    """rows: (stage title, tasks done, tasks in the stage); `current`: index of the stage in
    progress (marked), if any."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 0.55 * len(rows) + 1.0), dpi=110)
    for i, (name, done, total) in enumerate(rows):
        y = len(rows) - 1 - i
        share = done / total if total else 0.0
        now = i == current
        ax.barh(y, 1.0, height=0.42, color=TODO, edgecolor=NOW if now else TODO, linewidth=1.6)
        ax.barh(y, share, height=0.42, color=DONE)
        label = f"▶ {name} (now)" if now else name
        ax.text(0, y + 0.3, label, fontsize=8.5, va="bottom", fontweight="bold" if now else None)
        ax.text(1.01, y, f"{done}/{total}", fontsize=8, va="center")
    done_all, total_all = sum(r[1] for r in rows), sum(r[2] for r in rows)
    pct = 100 * done_all / max(1, total_all)
    ax.set_title(f"{title}: {done_all} of {total_all} tasks ({pct:.0f}%)", fontsize=10, loc="left")
    ax.set_xlim(0, 1.1)
    ax.set_ylim(-0.6, len(rows) - 0.1)
    ax.axis("off")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in (DONE, TODO)]
    ax.legend(handles, ["done", "to do"], loc="lower right", fontsize=8, frameon=False, ncol=2,
              bbox_to_anchor=(1.0, 1.0))  # fmt: skip
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()
