"""PNG charts for the dashboard and the model card, drawn without a display."""

from __future__ import annotations

from pathlib import Path


def slice_chart(path: Path, title: str, values: list[str], series: dict[str, list[float]]) -> Path:
    """Grouped horizontal bars: one group per slice value, one bar per series (student, teacher)."""
    import matplotlib

    matplotlib.use("Agg")  # headless: the pipeline runs on servers with no display
    from matplotlib import pyplot as plt

    height = max(2.5, 0.35 * len(values) * max(1, len(series)) + 1.2)
    figure, axes = plt.subplots(figsize=(7, min(height, 40)))
    try:
        bar = 0.8 / max(1, len(series))
        for offset, (name, scores) in enumerate(series.items()):
            axes.barh([i + offset * bar for i in range(len(values))], scores, height=bar, label=name)
        axes.set_yticks([i + bar * (len(series) - 1) / 2 for i in range(len(values))], values, fontsize=8)
        axes.invert_yaxis()
        axes.set_xlim(0, 1)
        axes.set_xlabel("accuracy")
        axes.set_title(title)
        axes.legend(loc="lower right", fontsize=8)
        figure.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format="png", dpi=100)
    finally:
        plt.close(figure)
    return path
