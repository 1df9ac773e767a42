"""A small real model folder as train.py saves a TF-IDF winner (head.skops, tfidf.skops, intern.json), and a
malicious copy of one: a `.skops` head whose loading would call `builtins.print` with an argument from the file."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import skops.io as sio
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from runner.models.portable_model import FEATURES_FILE, HEAD_FILE, MODEL_INFO_FILE

TEXTS = {
    "billing": ["my invoice is wrong", "charge on my bill", "invoice number missing", "bill paid twice"],
    "delivery": ["where is my parcel", "package never arrived", "parcel delivery late", "courier lost my package"],
}
MARKER = "INTERN-PWNED-MARKER"


def save_linear_model(folder: Path, threshold: float = 0.0) -> Path:
    """A TF-IDF + linear SVM model folder, trained here in a blink."""
    texts = [text for group in TEXTS.values() for text in group]
    labels = [label for label, group in TEXTS.items() for _ in group]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4))
    head = LinearSVC(random_state=0).fit(vectorizer.fit_transform(texts), labels)
    folder.mkdir(parents=True, exist_ok=True)
    sio.dump(head, folder / HEAD_FILE)
    sio.dump(vectorizer, folder / FEATURES_FILE)
    info = {
        "schema_version": 1,
        "kind": "linear",
        "candidate": "tfidf",
        "labels": sorted(TEXTS),
        "features": ["tfidf"],
        "encoder_weight": 1.0,
        "temperature": 3.0,
        "threshold": threshold,
    }
    (folder / MODEL_INFO_FILE).write_text(json.dumps(info), encoding="utf-8")
    return folder


def make_malicious(folder: Path) -> Path:
    """Rewrite folder/head.skops so that loading it calls builtins.print(MARKER): the shape of a file that runs
    `eval` or `os.system` instead. skops would run it if `builtins.print` were trusted."""
    path = folder / HEAD_FILE
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    schema = json.loads(members["schema.json"])
    attributes = schema["content"]
    key_types = attributes["key_types"]["content"]
    key_types.append(dict(key_types[0]))  # one key type per key: the new key is a str like the others
    attributes["content"]["payload"] = {
        "__class__": "print",
        "__module__": "builtins",
        "__loader__": "ConstructorFromReduceNode",
        "content": {
            "__class__": "tuple",
            "__module__": "builtins",
            "__loader__": "TupleNode",
            "content": [
                {
                    "__class__": "str",
                    "__module__": "builtins",
                    "__loader__": "JsonNode",
                    "content": json.dumps(MARKER),
                    "is_json": True,
                    "__id__": 1,
                }
            ],
            "__id__": 2,
        },
        "__id__": 3,
    }
    members["schema.json"] = json.dumps(schema).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return folder
