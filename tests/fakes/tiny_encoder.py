"""A tiny sentence encoder the tests build themselves (offline): a 1-layer BERT with a WordPiece vocabulary learned
from the given texts, saved in sentence-transformers format (mean pooling). Random weights: the embeddings carry
little meaning, which is fine for checking that every step runs and that the reports tell the truth."""

from __future__ import annotations

from pathlib import Path


def tiny_tokenizer(texts: list[str]):
    """A BERT-style WordPiece tokenizer (lower-cased, [CLS] ... [SEP]) with a vocabulary learned from `texts`."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=400, special_tokens=specials))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=64,
    )


def tiny_bert_config(tokenizer, hidden: int = 32, **extra):
    """A 1-layer BERT config sized for `tokenizer`'s vocabulary (`extra`: labels, problem_type, ...)."""
    from transformers import BertConfig

    return BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=2 * hidden,
        max_position_embeddings=64,
        pad_token_id=tokenizer.pad_token_id,
        **extra,
    )


def build_tiny_encoder(folder: Path, texts: list[str], hidden: int = 32) -> Path:
    """Write the encoder to `folder` (created) and return it; loadable by `SentenceTransformer(str(folder))`."""
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import BertModel

    torch.manual_seed(0)
    fast = tiny_tokenizer(texts)
    plain = folder.with_name(folder.name + "-hf")
    BertModel(tiny_bert_config(fast, hidden)).save_pretrained(plain)
    fast.save_pretrained(plain)
    SentenceTransformer(str(plain), device="cpu").save(str(folder))  # mean pooling, sentence-transformers format
    return folder


def build_tiny_classifier(folder: Path, texts: list[str], labels: list[str], multi_label: bool = False) -> Path:
    """A fine-tuned-classifier-shaped folder (random weights): a BertForSequenceClassification and its tokenizer."""
    import torch
    from transformers import BertForSequenceClassification

    torch.manual_seed(0)
    fast = tiny_tokenizer(texts)
    config = tiny_bert_config(
        fast,
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
        problem_type="multi_label_classification" if multi_label else "single_label_classification",
    )
    BertForSequenceClassification(config).save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder
