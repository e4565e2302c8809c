"""The cached triager predicts exactly what the fitted one does, without scikit-learn."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from bot.triage._model import CompiledClassifiers
from bot.triage._triager import DATA, read_labelled, train

MESSAGES = [
    "My parcel is two weeks late and the tracking has not moved.",
    "The vase arrived in pieces, box crushed. Order A10311.",
    "Me han cobrado dos veces el pedido A2001.",
    "Ma commande est arrivée cassée !!!",
    "Die Bestellung kam nicht an",
    "??? 12345",
    "",
]


def test_compiled_probabilities_equal_the_fitted_ones() -> None:
    fitted = train(DATA)._classifiers
    compiled = CompiledClassifiers(fitted)
    texts = MESSAGES + [r.text for r in read_labelled(DATA)[:200]]
    for a, b in zip(fitted.predict_proba(texts), compiled.predict_proba(texts), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    assert compiled.categories == fitted.categories and compiled.severities == fitted.severities


def test_a_cached_triage_call_never_imports_scikit_learn(tmp_path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    code = (
        "import sys; from bot.triage import load_triager; t = load_triager(); "
        "r = t.triage('My parcel is late'); print(r.category.value, 'sklearn' in sys.modules)"
    )
    first = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    second = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert first.stdout.split()[0] == second.stdout.split()[0] == "late_delivery"
    assert second.stdout.split()[1] == "False", second.stdout
    assert list((tmp_path / "appease").glob("triage-*.pickle"))
