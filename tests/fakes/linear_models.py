"""Delivered linear models the tests (and benchmarks/predict_bench.py) build themselves, offline, in the same
layout train.py writes (`model/intern.json`, `head.skops`, `tfidf.skops`, `encoder/`), so `intern predict`,
`intern serve` and the demo load them through the real loading code."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path


def build_linear_model(
    folder: Path,
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    encoder_dir: Path | None = None,
    threshold: float = 0.0,
    encoder_weight: float = 1.0,
    centroids: bool = True,
) -> Path:
    """A TF-IDF + linear SVM model in `folder`; with `encoder_dir` (a sentence-transformers folder) the
    encoder+tfidf kind, its embeddings joined to the TF-IDF features as train.py does, and (unless `centroids` is
    false) the class centroids its confidence is scaled by."""
    import numpy as np
    import skops.io as sio
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion
    from sklearn.svm import LinearSVC

    folder.mkdir(parents=True, exist_ok=True)
    vectorizer = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ]
    )
    features = vectorizer.fit_transform(list(texts))
    names = ["tfidf"]
    if encoder_dir is not None:
        from sentence_transformers import SentenceTransformer

        encoder = SentenceTransformer(str(encoder_dir), device="cpu")
        embeddings = encoder.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True)
        features = sparse.hstack([features, sparse.csr_matrix(np.asarray(embeddings) * encoder_weight)]).tocsr()
        encoder.save(str(folder / "encoder"))
        names = ["tfidf", "encoder"]
        if centroids:
            from runner.models.portable_model import CENTROIDS_FILE, class_centroids

            np.save(folder / CENTROIDS_FILE, class_centroids(np.asarray(embeddings), list(labels), sorted(set(labels))))
    head = LinearSVC(C=1.0, random_state=0).fit(features, list(labels))
    sio.dump(head, folder / "head.skops")
    sio.dump(vectorizer, folder / "tfidf.skops")
    info = {
        "schema_version": 1,
        "kind": "linear",
        "candidate": "+".join(reversed(names)) if len(names) > 1 else "tfidf",
        "labels": sorted(set(labels)),
        "features": names,
        "encoder_weight": encoder_weight,
        "temperature": 1.0,
        "threshold": threshold,
    }
    (folder / "intern.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return folder
