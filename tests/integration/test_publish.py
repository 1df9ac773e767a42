"""Publishing a real (tiny) model and its Space to the fake Hub with the real huggingface_hub client."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from runner.adapters.hub import RemoteFile, make_hub_client
from runner.config import save_config
from runner.errors import ExternalServiceError, ProjectError
from runner.schemas import write_report
from runner.settings import RunnerSettings
from runner.stages.card import render_space_files, write_card
from runner.stages.publish import changed_files, git_blob_sha1, publish, publish_command
from runner.tasks.choose import task_of_config
from tests.fakes import sample_reports as sample
from tests.fakes.hub_server import FakeHub

pytestmark = pytest.mark.integration
SENTENCES = [
    "my invoice shows a double charge",
    "where is my parcel, it is late",
    "i want my money back for this order",
    "the bill is wrong this month",
    "delivery driver never came",
    "please refund the broken item",
]
REPO, SPACE = "intern-user/tiny-router", "intern-user/tiny-router-demo"


def build_tiny_model(model_dir: Path) -> None:
    """A one-layer BERT with a WordPiece tokenizer trained here, saved in Hugging Face format."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer.train_from_iterator(SENTENCES, trainers.WordPieceTrainer(vocab_size=120, special_tokens=specials))
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        id2label=dict(enumerate(sample.LABELS)),
        label2id={label: i for i, label in enumerate(sample.LABELS)},
    )
    BertForSequenceClassification(config).save_pretrained(model_dir)
    fast.save_pretrained(model_dir)
    (model_dir / "intern.json").write_text(json.dumps({"threshold": 0.4, "labels": sample.LABELS}))


def logits(model_dir: Path) -> list[list[float]]:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    with torch.no_grad():
        batch = tokenizer(SENTENCES, padding=True, return_tensors="pt")
        return [[round(v, 5) for v in row] for row in model(**batch).logits.tolist()]


@pytest.fixture(scope="module")
def model_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model_dir = tmp_path_factory.mktemp("tiny") / "model"
    build_tiny_model(model_dir)
    return model_dir


@pytest.fixture
def project(tmp_path: Path, model_template: Path) -> Path:
    import shutil

    save_config(sample.config(), tmp_path)
    shutil.copytree(model_template, tmp_path / "model")
    write_report(tmp_path / "reports" / "train.json", sample.train_summary())
    write_report(tmp_path / "reports" / "eval.json", sample.eval_report())
    write_report(tmp_path / "reports" / "stress.json", sample.stress_report())
    write_card(tmp_path, REPO)
    return tmp_path


@pytest.mark.slow
def test_publish_round_trip_and_idempotency(project: Path, fake_hub: FakeHub, tmp_path: Path) -> None:
    client = make_hub_client(fake_hub.token, fake_hub.url)
    first = publish(project, REPO, SPACE, client, render_app=task_of_config(project).render_app)
    assert first.model_commit is not None and first.space_commit is not None
    assert first.model_url == f"{fake_hub.url}/{REPO}" and first.space_url == f"{fake_hub.url}/spaces/{SPACE}"
    assert {"config.json", "model.safetensors", "README.md", "intern.json", "tokenizer.json"} <= set(
        first.files_uploaded
    )
    assert {"space:README.md", "space:app.py", "space:requirements.txt"} <= set(first.files_uploaded)
    repo = fake_hub.state.repos[("model", REPO)]
    assert repo.files["model.safetensors"].lfs_sha256 is not None  # went through the LFS batch + upload
    assert fake_hub.commits(REPO) == ["initial commit", "Publish model, tokenizer and card (ML Intern)"]
    assert fake_hub.state.repos[("space", SPACE)].sdk == "gradio"

    second = publish(project, REPO, SPACE, client, render_app=task_of_config(project).render_app)
    assert (second.model_commit, second.space_commit, second.files_uploaded) == (None, None, [])
    assert len(fake_hub.commits(REPO)) == 2 and len(fake_hub.commits(SPACE, "space")) == 2

    (project / "model" / "README.md").write_text("---\nlicense: mit\n---\n# edited\n")
    third = publish(project, REPO, None, client)
    assert third.files_uploaded == ["README.md"] and third.model_commit == repo.head.oid

    downloaded = client.snapshot_download(REPO, local_dir=tmp_path / "download")
    assert logits(downloaded) == logits(project / "model")
    assert json.loads((downloaded / "intern.json").read_text())["threshold"] == 0.4

    space_dir = client.snapshot_download(SPACE, repo_type="space", local_dir=tmp_path / "space")
    expected = render_space_files(project, REPO, SPACE, task_of_config(project).render_app)
    for name, content in expected.items():
        assert (space_dir / name).read_bytes() == content
    meta = yaml.safe_load((space_dir / "README.md").read_text().split("---", 2)[1])
    assert meta["sdk"] == "gradio" and meta["models"] == [REPO]


def test_publish_refuses_an_incomplete_model_dir(project: Path, fake_hub: FakeHub) -> None:
    (project / "model" / "README.md").unlink()
    (project / "model" / "model.safetensors").unlink()
    with pytest.raises(ProjectError) as info:
        publish(project, REPO, None, make_hub_client(fake_hub.token, fake_hub.url))
    assert "README.md" in str(info.value) and "intern card" in str(info.value)
    assert "weights" in str(info.value) and "intern train" in str(info.value)
    assert fake_hub.state.repos == {}  # nothing was created


def test_publish_command_with_the_token_and_endpoint_the_cli_resolved(
    project: Path,
    fake_hub: FakeHub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = RunnerSettings.from_mapping({"HF_TOKEN": fake_hub.token, "HF_ENDPOINT": fake_hub.url})
    monkeypatch.delenv("HF_TOKEN", raising=False)
    result = publish_command(project, REPO, None, settings.token(), settings.hf_endpoint, private=True)
    assert result.model_commit is not None and result.space_url is None
    assert fake_hub.state.repos[("model", REPO)].private
    with pytest.raises(ExternalServiceError, match="HF_TOKEN"):
        publish_command(project, REPO, None, token="hf_wrong", endpoint=fake_hub.url, private=False)


def test_changed_files_compares_sha256_for_lfs_and_git_sha1_otherwise() -> None:
    import hashlib

    weights, card = b"\1" * 100, b"# card\n"
    remote = [
        RemoteFile(path="w.safetensors", size=100, blob_id="x" * 40, lfs_sha256=hashlib.sha256(weights).hexdigest()),
        RemoteFile(path="README.md", size=7, blob_id=git_blob_sha1(card)),
    ]
    assert changed_files({"w.safetensors": weights, "README.md": card}, remote) == []
    assert changed_files({"w.safetensors": b"\2" * 100, "README.md": card, "new.txt": b""}, remote) == [
        "new.txt",
        "w.safetensors",
    ]
