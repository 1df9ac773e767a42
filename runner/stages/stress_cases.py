"""Stress-test cases generated for the actual label set (pure, seeded).

Families:
- negation: a text of class A plus a negated mention of class B's strongest keyword ("... not about refund");
  the answer must stay A.
- ambiguity: a text of class A joined to a text of class B; A or B is right, and we report which one wins.
- unknown: gibberish and off-topic texts; the model must abstain (top probability under the threshold).
- typos: texts of class A with character noise in about one word in four; the answer must stay A.
"""

from __future__ import annotations

import random
from collections import defaultdict

from pydantic import BaseModel, ConfigDict

from runner.data.perturb import NEGATIONS, add_typos, class_keywords, gibberish

UNKNOWN = "unknown"
OFF_TOPIC = (
    "What is the capital of Australia?",
    "The weather will be sunny with a light breeze tomorrow afternoon.",
    "Preheat the oven to 180 degrees and whisk the eggs with sugar.",
    "Who won the football match last night?",
    "Write me a poem about the ocean at dawn.",
    "My cat keeps sleeping on the keyboard.",
    "How many moons does Jupiter have?",
    "Translate 'good morning' into Italian.",
    "The mitochondria is the powerhouse of the cell.",
    "Let's meet for coffee next Thursday at ten.",
)
# Texts known to be out of scope for (almost) any classifier, used to choose where the model abstains. Kept apart
# from OFF_TOPIC above, which the `unknown` stress family uses, so that the stress test is not the calibration set.
CALIBRATION_OFF_TOPIC = (
    "How tall is the Eiffel Tower?",
    "Who painted the Mona Lisa?",
    "What year did the Second World War end?",
    "Give me a recipe for banana bread.",
    "Tell me a joke about penguins.",
    "What does photosynthesis produce?",
    "Recommend a good science fiction novel.",
    "How do I change a flat tyre on a bicycle?",
    "The train to Edinburgh leaves from platform nine.",
    "Is it going to snow in the mountains this weekend?",
    "Explain the rules of chess in simple words.",
    "My neighbour's dog barks all night long.",
    "What is the square root of one hundred and forty four?",
    "Which planet is closest to the sun?",
    "I love the smell of rain on dry earth.",
    "Sing happy birthday to my grandmother.",
    "How many legs does a spider have?",
    "The museum opens at nine and closes at five.",
    "Name three famous jazz trumpet players.",
    "What is the boiling point of water at sea level?",
    "Let's play a game of twenty questions.",
    "Describe the plot of Hamlet in two sentences.",
    "The tomatoes in my garden are finally ripe.",
    "Why is the sky blue?",
    "How do you say thank you in Japanese?",
    "Our team won the quiz night at the pub.",
    "What is the longest river in Africa?",
    "Draw me a picture of a dragon.",
    "Which vitamins are in oranges?",
    "The concert was cancelled because of the storm.",
    "Who invented the telephone?",
    "What should I name my new goldfish?",
    "Solve x squared minus four equals zero.",
    "The sunset over the harbour was beautiful tonight.",
    "What language is spoken in Brazil?",
    "Find me a hiking trail near the lake.",
    "How long should I boil an egg?",
    "Summarise the theory of relativity.",
    "The library is closed on public holidays.",
    "What are the colours of the rainbow?",
)


class Case(BaseModel):
    model_config = ConfigDict(frozen=True)

    family: str
    text: str
    expected: str = "a label, 'unknown', or 'a|b'"


def known_out_of_scope(seed: int, count: int = 80) -> list[str]:
    """Generated texts that belong to no class: off-topic sentences and gibberish, from their own random stream
    (not the stress tests' one), for choosing the operating point."""
    rng = random.Random(f"out-of-scope:{seed}")
    texts = list(CALIBRATION_OFF_TOPIC)
    texts += [gibberish(rng) for _ in range(max(0, count - len(texts)))]
    return texts[:count] if count < len(texts) else texts


def build_cases(
    test_texts: list[str],
    test_labels: list[str],
    keywords: dict[str, str],
    label_set: list[str],
    per_family: int = 60,
    seed: int = 42,
) -> list[Case]:
    """Up to `per_family` cases per family, balanced over the classes present in the test split."""
    rng = random.Random(seed)
    by_label: dict[str, list[str]] = defaultdict(list)
    for text, label in zip(test_texts, test_labels, strict=True):
        by_label[label].append(text)
    present = sorted(label for label in label_set if by_label.get(label))
    cases: list[Case] = []
    if not present:
        return cases
    for i in range(per_family):
        label = present[i % len(present)]
        text = rng.choice(by_label[label])
        others = [other for other in present if other != label and other in keywords]
        if others:
            other = rng.choice(others)
            negation = rng.choice(NEGATIONS).format(kw=keywords[other])
            cases.append(Case(family="negation", text=f"{text.rstrip('.?! ')}. {negation}", expected=label))
        if len(present) > 1:
            second = rng.choice([other for other in present if other != label])
            joined = f"{text.rstrip('.?! ')}. Also, {rng.choice(by_label[second]).lstrip()}"
            cases.append(Case(family="ambiguity", text=joined, expected=f"{label}|{second}"))
        cases.append(Case(family="typos", text=add_typos(text, rng), expected=label))
    for i in range(per_family):
        text = OFF_TOPIC[i % len(OFF_TOPIC)] if i % 2 else gibberish(rng)
        cases.append(Case(family="unknown", text=text, expected=UNKNOWN))
    return cases


__all__ = [
    "CALIBRATION_OFF_TOPIC",
    "NEGATIONS",
    "OFF_TOPIC",
    "UNKNOWN",
    "Case",
    "add_typos",
    "build_cases",
    "class_keywords",
    "gibberish",
    "known_out_of_scope",
]
