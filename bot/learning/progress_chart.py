"""Charts rendered to PNG bytes with matplotlib. /progress: one bar per stage, each the
stage's full length, done in blue and still to do in grey, so partial progress inside a stage
shows at a glance; the stage name sits above its bar (labels take no width from the bars) and
the current stage is marked. The weekly digest: tasks and quiz accuracy over 8 weeks."""

from __future__ import annotations

import io

DONE, TODO, NOW, GREY = "#2f7de1", "#e3e7ee", "#f08c00", "#888888"


def _pyplot():  # type: ignore[no-untyped-def]
    """pyplot on the file-only backend (no display), imported when a chart is first drawn."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    return pyplot


def _png(plt, fig, tight: bool = True) -> bytes:  # type: ignore[no-untyped-def]
    """tight: fit the margins to the labels (one extra drawing pass); charts of a fixed shape
    set their margins once instead, a third faster (the weekly digest draws one per learner)."""
    if tight:
        fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def progress_png(rows: list[tuple[str, int, int]], title: str, current: int | None = None) -> bytes:
    """rows: (stage title, tasks done, tasks in the stage); `current`: index of the stage in
    progress (marked), if any."""
    plt = _pyplot()

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
    return _png(plt, fig)


def weeks_png(weeks: list[tuple[str, int | None, int, int]], title: str) -> bytes:
    """The weekly digest's chart. weeks: (label, tasks done or None before the learner
    started, quiz answers, right answers), oldest first; the last is this week (highlighted).
    Tasks on top; quiz accuracy below, left empty in weeks without answers, not drawn as 0%."""
    plt = _pyplot()

    fig, (top, low) = plt.subplots(
        2, 1, figsize=(6.4, 3.9), dpi=110, sharex=True, gridspec_kw={"height_ratios": [3, 2]}
    )
    xs = range(len(weeks))
    last = len(weeks) - 1
    tasks = [w[1] or 0 for w in weeks]
    top.bar(xs, tasks, color=[NOW if i == last else DONE for i in xs], width=0.6)
    for i, (_, n, _, _) in enumerate(weeks):
        label = "–" if n is None else str(n)  # before the start: nothing to count
        top.text(
            i,
            n or 0,
            label,
            ha="center",
            va="bottom",
            fontsize=8,
            color=GREY if n is None else None,
        )
    top.set_ylim(0, max(tasks + [1]) * 1.25)
    top.set_ylabel("tasks done", fontsize=8)
    top.set_title(title, fontsize=10, loc="left")
    low.set_xlabel("week starting", fontsize=8)
    for i, (_, _, answered, right) in enumerate(weeks):
        if answered:
            pct = 100 * right / answered
            low.bar(i, pct, color=NOW if i == last else DONE, width=0.6, alpha=0.75)
            low.text(i, pct, f"{pct:.0f}%", ha="center", va="bottom", fontsize=7.5)
        else:
            low.text(i, 8, "–", ha="center", va="bottom", fontsize=8, color=GREY)
    low.set_ylim(0, 125)
    low.set_yticks([0, 50, 100])
    low.set_ylabel("quiz % right", fontsize=8)
    low.set_xticks(list(xs), [w[0] for w in weeks], fontsize=7.5)
    for ax in (top, low):
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(axis="y", labelsize=7.5)
    fig.subplots_adjust(left=0.09, right=0.98, top=0.91, bottom=0.14, hspace=0.12)
    return _png(plt, fig, tight=False)
