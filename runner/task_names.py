"""Task names (the Hub's) and what the intern recognises but cannot train yet. Pure data, no heavy imports."""

from __future__ import annotations

from typing import Literal, get_args

TaskName = Literal["text-classification", "multi-label-classification", "image-classification"]
SUPPORTED_TASKS: tuple[str, ...] = get_args(TaskName)
DEFAULT_TASK: TaskName = "text-classification"

# Other spellings people use for a supported task.
ALIASES: dict[str, TaskName] = {
    "text-classification": "text-classification",
    "text": "text-classification",
    "single-label": "text-classification",
    "single-label-classification": "text-classification",
    "sentiment-analysis": "text-classification",
    "multi-label-classification": "multi-label-classification",
    "multi-label": "multi-label-classification",
    "multilabel": "multi-label-classification",
    "multilabel-classification": "multi-label-classification",
    "multi-label-text-classification": "multi-label-classification",
    "tagging": "multi-label-classification",
    "image-classification": "image-classification",
    "image": "image-classification",
    "images": "image-classification",
}

# Tasks the intern recognises in an objective but does not support: Hub name -> what people call it.
UNSUPPORTED_TASKS: dict[str, str] = {
    "token-classification": "token classification (named-entity recognition, tagging words in a text)",
    "summarization": "summarization (generating a shorter text)",
    "translation": "translation",
    "text-generation": "text generation or LLM fine-tuning",
    "question-answering": "question answering",
    "automatic-speech-recognition": "speech recognition",
    "audio-classification": "audio classification",
    "object-detection": "object detection (boxes around things in images)",
    "image-segmentation": "image segmentation",
    "tabular-regression": "regression (predicting a number)",
}
