"""How far each column moved, and which moves the data supports across all columns at once: an effect size per
column (Wasserstein distance in reference standard deviations for numbers, Jensen-Shannon distance for categories)
and a p-value (Kolmogorov-Smirnov, chi-square), adjusted across the columns (Benjamini-Hochberg)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon

FDR = 0.05           # the false discovery rate across columns
MIN_EFFECT = 0.1     # a move smaller than this is not called drift however many rows support it (Evidently's)


def _numerical(ref: pd.Series, cur: pd.Series) -> tuple[float, float]:
    scale = float(ref.std()) or 1.0
    return stats.wasserstein_distance(ref, cur) / scale, float(stats.ks_2samp(ref, cur).pvalue)


def _categorical(ref: pd.Series, cur: pd.Series) -> tuple[float, float]:
    table = pd.concat([ref.value_counts(), cur.value_counts()], axis=1).fillna(0).to_numpy().T
    effect = float(jensenshannon(table[0] / table[0].sum(), table[1] / table[1].sum()))
    p = float(stats.chi2_contingency(table + 0.5)[1]) if table.shape[1] > 1 else 1.0
    return effect, p


def column_effects(reference: pd.DataFrame, current: pd.DataFrame, numerical: list[str],
                   categorical: list[str]) -> dict[str, dict]:
    """Per column: effect, its measure, p-value, BH-adjusted q-value, and drifted (q under FDR and effect at least
    MIN_EFFECT). `current` is taken as its distinct rows: a load test sends the same inputs many times over, and a
    repeat carries no news about the distribution."""
    current = current[numerical + categorical].drop_duplicates()
    found = {c: (*_numerical(reference[c].astype(float), current[c].astype(float)), "Wasserstein (reference std)")
             for c in numerical}
    found |= {c: (*_categorical(reference[c].astype(str), current[c].astype(str)), "Jensen-Shannon") for c in categorical}
    names = list(found)
    q = stats.false_discovery_control([found[c][1] for c in names]) if names else []
    return {c: {"effect": round(found[c][0], 4), "measure": found[c][2], "p_value": float(f"{found[c][1]:.4g}"),
                "q_value": float(f"{qc:.4g}"), "drifted": bool(qc < FDR and found[c][0] >= MIN_EFFECT),
                "rows": {"reference": len(reference), "current": len(current)}}
            for c, qc in zip(names, np.asarray(q))}
