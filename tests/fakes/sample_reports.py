"""Small, valid config and reports for card and publish tests (built with the real runner.schemas models)."""

from __future__ import annotations

from runner.config import DataConfig, HubConfig, InternConfig, ModelConfig
from runner.schemas import (
    BaselineResult,
    CandidateResult,
    ClassMetrics,
    ConfusionMatrix,
    EvalReport,
    InspectReport,
    LabelCount,
    LeakageCheck,
    LengthStats,
    SplitSizes,
    StressExample,
    StressFamily,
    StressReport,
    TrainSummary,
)

LABELS = ["billing", "delivery", "refund"]


def config(model: str = "distilbert-base-uncased", labels: list[str] | None = None) -> InternConfig:
    return InternConfig(
        objective="route support tickets by issue type",
        data=DataConfig(
            source="bitext/Bitext-customer-support-llm-chatbot-training-dataset",
            format="hub",
            text_column="instruction",
            label_column="category",
            licence="cdla-sharing-1.0",
            attribution="Bitext Innovations",
        ),
        labels=labels or LABELS,
        model=ModelConfig(name=model),
        hub=HubConfig(license="apache-2.0"),
    )


def inspect_report() -> InspectReport:
    stats = LengthStats(min=3, mean=40.0, p50=38, p95=90, p99=120, max=200)
    return InspectReport(
        source="bitext",
        rows=300,
        columns=["instruction", "category"],
        text_column="instruction",
        label_column="category",
        column_reason="given on the command line",
        labels=[LabelCount(name=name, count=100, share=1 / 3) for name in LABELS],
        imbalance_ratio=1.0,
        chars=stats,
        words=stats,
        empty_rows=0,
        exact_duplicates=2,
        normalised_duplicates=3,
        conflicting_groups=0,
        random_split_leakage=0.02,
        split=SplitSizes(train=240, validation=30, test=30),
        split_leakage=0.0,
    )


def candidates() -> list[CandidateResult]:
    def trained(name: str, val: float, test: float, winner: bool = False) -> CandidateResult:
        return CandidateResult(
            name=name,
            title=f"{name} + linear SVM",
            status="trained",
            winner=winner,
            validation_accuracy=val,
            validation_macro_f1=val,
            test_accuracy=test,
            test_macro_f1=test,
            seconds=3.5,
        )

    skipped = CandidateResult(
        name="fine-tune", title="fine-tuned", status="skipped", reason="skipped: over the 60 s budget", seconds=2.0
    )
    return [
        trained("tfidf", 0.895, 0.68),
        trained("encoder", 0.88, 0.7),
        trained("encoder+tfidf", 0.91, 0.8, True),
        skipped,
    ]


def train_summary() -> TrainSummary:
    return TrainSummary(
        model="distilbert-base-uncased",
        encoder_source="from the local Hugging Face cache",
        winner="encoder+tfidf",
        winner_reason="best validation macro F1 (0.9100), 1.50 points above tfidf",
        candidates=candidates(),
        parameters=66_955_779,
        max_length=64,
        epochs_run=3,
        best_epoch=2,
        best_macro_f1=0.91,
        seconds=754.0,
        device="cpu",
        hardware="2 CPU cores",
        threads=2,
        train_rows=240,
        validation_rows=30,
        hyperparameters={"learning_rate": 5e-5, "batch_size": 32, "epochs": 3},
    )


def eval_report(f1: tuple[float, float, float] = (0.95, 0.9, 0.55)) -> EvalReport:
    per_class = [
        ClassMetrics(label=label, precision=value, recall=value, f1=value, support=10)
        for label, value in zip(LABELS, f1, strict=True)
    ]
    return EvalReport(
        rows=30,
        accuracy=0.8,
        macro_f1=0.8,
        weighted_f1=0.81,
        per_class=per_class,
        confusion=ConfusionMatrix(labels=LABELS, matrix=[[10, 0, 0], [0, 9, 1], [2, 3, 5]]),
        baseline=BaselineResult(name="tfidf-logreg", accuracy=0.7, macro_f1=0.68, seconds=0.4),
        baseline_verdict="The transformer beats the TF-IDF baseline by 12 points of macro F1.",
        leakage=LeakageCheck(test_rows=30, with_duplicate_in_train=0, fraction=0.0),
        seconds=3.0,
    )


def stress_report(unknown: float = 0.1, typos: float = 0.5) -> StressReport:
    def family(name: str, metric: str, score: float) -> StressFamily:
        """`score` right; the rest wrong for `unknown`, else shared between wrong and abstained."""
        from runner.stages.stress import family_summary

        example = StressExample(
            text=f"{name} | example",
            expected="unknown",
            predicted="billing",
            score=0.9,
            passed=False,
            top_label="billing",
            outcome="wrong",
        )
        wrong = round(1 - score, 4) if name == "unknown" else round((1 - score) / 2, 4)
        abstained = score if name == "unknown" else round(1 - score - wrong, 4)
        return StressFamily(
            family=name,
            description=f"{name} inputs",
            n=20,
            metric=metric,
            score=score,
            right=score,
            wrong=wrong,
            abstained=abstained,
            summary=family_summary(name, score, wrong, abstained),
            worst=[example],
        )

    return StressReport(
        threshold=0.55,
        threshold_reason="95th percentile of validation confidence on wrong answers",
        families=[
            family("negation", "accuracy", 0.6),
            family("ambiguity", "accuracy", 0.9),
            family("unknown", "abstain rate", unknown),
            family("typos", "accuracy", typos),
        ],
    )
