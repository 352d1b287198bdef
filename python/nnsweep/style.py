"""Drawing conventions shared by the figures (docs/statistics.md, README "Figures").

- one fixed colour per activation (Okabe–Ito, colour-blind safe), the same in every panel and
  every figure; other variants (σ₀, α, …) get colours by rank from a fixed sequential map;
- one marker per width (by rank of the width in the file);
- theory: exact (and numerical) solid, approximations (nlo, lo, bound, mixed) dashed;
- Monte Carlo cells whose trust is not ``ok`` drawn hollow;
- labels in mathtext; what the error bars are is said in the caption, not guessed.
"""
from __future__ import annotations

import matplotlib

#: fixed colour of each activation
ACTIVATION_COLOURS = {"relu": "#0072B2", "tanh": "#D55E00", "leaky_relu": "#56B4E9",
                      "linear": "#000000", "erf": "#CC79A7", "gelu": "#009E73"}
#: colours of activations (or other text values) not named above, in order of first use
SPARE_COLOURS = ["#E69F00", "#F0E442", "#999999", "#882255", "#44AA99", "#117733"]
#: markers by rank of the width (or another size axis)
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p"]
#: line style of a theory curve by its kind (``<theory>_kind``; "mixed" when a series differs)
THEORY_STYLES = {"exact": "-", "numerical": "-", "nlo": "--", "lo": "--", "bound": ":",
                 "mixed": "--"}
#: words for the kinds, in legends and captions
THEORY_WORDS = {"exact": "exact", "numerical": "numerical", "nlo": "next-to-leading order",
                "lo": "leading order", "bound": "bound", "mixed": "approximate"}


def theory_style(kind: str) -> str:
    """Matplotlib line style of a theory of this kind: solid exact, dashed approximate."""
    return THEORY_STYLES.get(str(kind), "--")


def is_exact(kind: str) -> bool:
    return theory_style(kind) == "-"


def colours(values, name: str | None = None) -> dict:
    """value → colour. Activations (``name == "activation"`` or known activation names) get
    their fixed colour; numbers get a colour by rank on a fixed sequential map (so σ₀ = 0.01 is
    the same colour in every panel); other text values the spare colours in sorted order."""
    values = list(dict.fromkeys(values))
    if name == "activation" or all(str(v) in ACTIVATION_COLOURS for v in values):
        spare = iter(SPARE_COLOURS * 4)
        return {v: ACTIVATION_COLOURS.get(str(v)) or next(spare) for v in values}
    try:
        ranked = sorted(values, key=float)
    except (TypeError, ValueError):
        ranked = sorted(values, key=str)
        return {v: SPARE_COLOURS[i % len(SPARE_COLOURS)] for i, v in enumerate(ranked)}
    cmap = matplotlib.colormaps["viridis"]
    n = max(len(ranked) - 1, 1)
    return {v: matplotlib.colors.to_hex(cmap(0.9 * i / n)) for i, v in enumerate(ranked)}


def markers(values) -> dict:
    """value → marker, by rank (sorted)."""
    ranked = sorted(dict.fromkeys(values), key=lambda v: (float(v) if _is_number(v) else 0, str(v)))
    return {v: MARKERS[i % len(MARKERS)] for i, v in enumerate(ranked)}


def _is_number(v) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True
