"""The `intern` command line (README "Commands"). User mistakes print one line and exit 2; failed stages exit 1."""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from runner import __version__
from runner.errors import InternError
from runner.render.progress_display import ConsoleReporter, plain_mode
from runner.settings import RunnerSettings

app = typer.Typer(
    name="intern",
    help="ML Intern: from labelled texts (one label or several) or photos to a trained, evaluated, documented model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DataArg = Annotated[
    str,
    typer.Argument(
        help="a .csv/.tsv/.json/.jsonl/.parquet file, a folder of photos (one sub-folder per class) or a Hub dataset id"
    ),
]
DirArg = Annotated[Path, typer.Argument(help="a project directory written by `intern scaffold` or `intern run`")]
TextOpt = Annotated[str | None, typer.Option("--text", help="text column (detected when omitted)")]
LabelsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--label",
        help="label column (detected when omitted); repeat it for multi-label data as one 0/1 column per label",
    ),
]
TaskOpt = Annotated[
    str | None,
    typer.Option(
        "--task",
        help="text-classification, multi-label-classification or image-classification (chosen from the objective "
        "and the data when omitted)",
    ),
]
LabelSepOpt = Annotated[
    str | None,
    typer.Option("--label-sep", help="multi-label data: the separator joining labels in the label column"),
]
TestOpt = Annotated[str | None, typer.Option("--test", help="a file to use as the test split instead of carving one")]
ModelOpt = Annotated[
    str | None, typer.Option("--model", help="encoder: Hub id, local HF model dir, or scratch:tiny|small|base")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print the result as JSON on stdout (status lines go to stderr)")]
CoverageOpt = Annotated[
    float | None,
    typer.Option(
        "--abstain-coverage",
        min=0.01,
        max=1.0,
        help="a fixed share of validation texts the model keeps answering; it abstains below that confidence "
        "(default: the operating point is chosen for the data)",
    ),
]
UnknownTextsOpt = Annotated[
    Path | None,
    typer.Option(
        "--unknown-texts",
        help="a file of texts known to be out of scope (.txt one per line, or .jsonl with `text`): they help choose "
        "where the model answers `unknown`",
    ),
]


def _settings() -> RunnerSettings:
    """The one place the runner reads the environment: everything below gets it as arguments."""
    return RunnerSettings.from_mapping(os.environ)


def _reporter() -> ConsoleReporter:
    return ConsoleReporter(plain=plain_mode(ci=bool(os.environ.get("CI"))))


def _delimiter_notes(reporter: ConsoleReporter, *sources: str | None) -> None:
    """Say why a CSV is read with a `;`, `|` or tab separator (sniffed), on stderr."""
    from runner.data.load import csv_delimiter_note

    for source in sources:
        if source and Path(source).suffix.lower() == ".csv":
            note = csv_delimiter_note(source, "csv")
            if note:
                reporter.line(f"note: {note}")


def try_it_line(input_kind: str, project: Path) -> str:
    """The example `intern predict` command printed after a run, for what the model takes."""
    example = "path/to/photo.jpg" if input_kind == "image" else '"your text here"'
    return f"try it: intern predict {project}/model {example}"


def _default_out(data: str) -> Path:
    stem = Path(data).stem if Path(data).suffix else data.replace("/", "__")
    return Path("runs") / stem


@app.command()
def run(
    data: DataArg,
    text: TextOpt = None,
    label: LabelsOpt = None,
    model: ModelOpt = None,
    task: TaskOpt = None,
    label_sep: LabelSepOpt = None,
    objective: Annotated[str | None, typer.Option(help="what the model is for (goes in the card)")] = None,
    out: Annotated[Path | None, typer.Option(help="project directory (default: runs/<dataset name>)")] = None,
    test: TestOpt = None,
    abstain_coverage: CoverageOpt = None,
    unknown_texts: UnknownTextsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """The whole loop: inspect, scaffold, smoke, train, evaluate, stress, card, demo."""
    from runner.pipeline import RunOptions, run_pipeline
    from runner.tasks.choose import task_of_config

    reporter = _reporter()
    _delimiter_notes(reporter, data, test)
    target = out or _default_out(data)
    options = RunOptions(
        data=data,
        out=target,
        text=text,
        labels=label or [],
        model=model,
        objective=objective,
        test=test,
        abstain_coverage=abstain_coverage,
        unknown_texts=str(unknown_texts) if unknown_texts else None,
        task=task,
        label_sep=label_sep,
    )
    run_pipeline(options, reporter, settings=_settings())
    reporter.line(f"\ndone: {target}/reports/report.md, model in {target}/model, demo: python {target}/app.py")
    reporter.line(try_it_line(task_of_config(target).input_kind, target))
    if json_out:
        from runner.render.run_summary import run_summary

        typer.echo(json.dumps(run_summary(target), indent=2))


@app.command()
def inspect(
    data: DataArg,
    text: TextOpt = None,
    label: LabelsOpt = None,
    test: TestOpt = None,
    task: TaskOpt = None,
    label_sep: LabelSepOpt = None,
    objective: Annotated[str | None, typer.Option(help="what the model is for (helps choose the task)")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Data report only: balance, lengths or image sizes, duplicates, conflicts, leakage of a naive split."""
    from runner.pipeline import RunOptions, inspect_data
    from runner.render.reports import render_inspect_md

    options = RunOptions(
        data=data,
        out=Path("."),
        text=text,
        labels=label or [],
        test=test,
        task=task,
        label_sep=label_sep,
        objective=objective,
    )
    reporter = _reporter()
    _delimiter_notes(reporter, data, test)
    with reporter.stage("inspect", data):
        _, result = inspect_data(options)
    typer.echo(result.report.model_dump_json(indent=2) if json_out else render_inspect_md(result.report))


@app.command()
def scaffold(
    data: DataArg,
    out: Annotated[Path, typer.Option(help="project directory to write")],
    text: TextOpt = None,
    label: LabelsOpt = None,
    model: ModelOpt = None,
    objective: Annotated[str | None, typer.Option(help="what the model is for")] = None,
    test: TestOpt = None,
    workflow: Annotated[bool, typer.Option(help="also write .github/workflows/intern.yml")] = True,
    task: TaskOpt = None,
    label_sep: LabelSepOpt = None,
) -> None:
    """Write the project files (intern.yaml, train.py, app.py, requirements.txt, reports/inspect.*)."""
    from runner.pipeline import RunOptions, choose_model, inspect_data, prepare_out_dir, scaffold_project

    reporter = _reporter()
    _delimiter_notes(reporter, data, test)
    prepare_out_dir(out)
    options = RunOptions(
        data=data,
        out=out,
        text=text,
        labels=label or [],
        model=model,
        objective=objective,
        test=test,
        workflow=workflow,
        task=task,
        label_sep=label_sep,
    )
    with reporter.stage("inspect", data):
        choice, inspected = inspect_data(options)
    reporter.line(f"task: {choice.task} ({choice.reason})")
    settings = _settings()
    chosen = choose_model(model, settings, choice.task)
    reporter.line(f"columns: {inspected.report.column_reason}")
    reporter.line(f"model: {chosen.name} ({chosen.reason})")
    scaffold_project(options, inspected, chosen, settings.workflow, choice.task)
    reporter.line(f"wrote {out}: run `intern smoke {out}` next")
    from runner.config import load_config
    from runner.stages.scaffold_checks import scaffold_warnings

    config = load_config(out).data
    sources = [(config.source, str(config.format))]
    if config.test_source:
        sources.append((config.test_source, str(config.test_format or config.format)))
    for warning in scaffold_warnings(sources, settings.workflow, wrote_workflow=workflow):
        typer.secho(f"WARNING: {warning}", fg=typer.colors.YELLOW, bold=True, err=True)


@app.command()
def smoke(
    project: DirArg,
    fix: Annotated[bool, typer.Option("--fix", help="diagnose failures and apply known fixes (3 attempts)")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Run train.py on a tiny stratified sample; writes reports/smoke.json. Exit 1 when it fails."""
    from runner.render.reports import render_smoke_md

    reporter = _reporter()
    from runner.stages.smoke import run_smoke

    settings = _settings()
    if fix:
        from runner.selfheal.loop import smoke_with_fixes

        report = smoke_with_fixes(
            project, llm=settings.llm_client(), smoke=functools.partial(run_smoke, env=settings.environment)
        )
    else:
        report = run_smoke(project, env=settings.environment, reporter=reporter)
    typer.echo(report.model_dump_json(indent=2) if json_out else render_smoke_md(report))
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def train(project: DirArg, json_out: JsonOpt = False) -> None:
    """Full training with the project's train.py; writes model/ and reports/train.json(l)."""
    from runner.stages.train import run_training

    summary = run_training(project, env=_settings().environment, reporter=_reporter())
    if json_out:
        typer.echo(summary.model_dump_json(indent=2))
        return
    typer.echo(f"delivered {summary.winner or summary.model}: validation macro F1 {summary.best_macro_f1:.4f}")


@app.command()
def evaluate(
    project: DirArg,
    abstain_coverage: CoverageOpt = None,
    unknown_texts: UnknownTextsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Test-split metrics, confusion matrix, baseline, leakage check, and the abstain threshold chosen for the data
    (stored in model/intern.json); writes reports/eval.*, confusion_matrix.png and coverage_curve.png."""
    from runner.tasks.choose import task_of_config

    options: dict[str, object] = {"coverage": abstain_coverage} if abstain_coverage is not None else {}
    if unknown_texts is not None:
        options["unknown_texts"] = str(unknown_texts.resolve())
    report = task_of_config(project).evaluate(project, _reporter(), options)
    if json_out:
        typer.echo(report.model_dump_json(indent=2))
        return
    typer.echo(f"test macro F1 {report.macro_f1:.4f}, accuracy {report.accuracy:.4f}. {report.baseline_verdict}")


@app.command()
def stress(project: DirArg, json_out: JsonOpt = False) -> None:
    """Negation, ambiguity, unknown and typo stress tests, at the abstain threshold `intern evaluate` chose."""
    from runner.tasks.choose import task_of_config

    report = task_of_config(project).stress(project, _reporter(), _settings().llm_client())
    if json_out:
        typer.echo(report.model_dump_json(indent=2))
        return
    for family in report.families:
        typer.echo(f"{family.summary or f'{family.family}: {family.right:.1%} right'} ({family.n} cases)")


@app.command()
def card(project: DirArg, repo_id: Annotated[str | None, typer.Option(help="repo id for the card")] = None) -> None:
    """Write model/README.md (model card with model-index results)."""
    from runner.tasks.choose import task_of_config

    typer.echo(f"wrote {task_of_config(project).write_card(project, repo_id)}")


@app.command()
def report(
    project: DirArg,
    stage: Annotated[str, typer.Option(help="run (everything so far) or smoke")] = "run",
    image_url: Annotated[str | None, typer.Option(help="URL of the confusion matrix image")] = None,
) -> None:
    """Print the markdown summary (what the bot posts) and write reports/report.md."""
    from runner.errors import UserInputError
    from runner.render.reports import render_run_md, render_smoke_md
    from runner.schemas import SmokeReport, read_report, write_text_atomic

    if stage == "smoke":
        text = render_smoke_md(read_report(project / "reports" / "smoke.json", SmokeReport))
    elif stage == "run":
        text = render_run_md(project, image_url)
        write_text_atomic(project / "reports" / "report.md", text)
    else:
        raise UserInputError(f"unknown --stage {stage!r}: use run or smoke")
    typer.echo(text)


@app.command()
def predict(
    model_dir: Annotated[Path, typer.Argument(help="a trained model directory (PROJECT/model)")],
    text: Annotated[str | None, typer.Argument(help="the text to classify (an image model: a photo's path)")] = None,
    input_file: Annotated[
        str | None,
        typer.Option(
            "--input",
            help="a table (.csv, .tsv, .jsonl, .json, .parquet: one row per text), a .txt file (one text per line), "
            "or - for stdin; an image model: a folder of photos or a table of their paths",
        ),
    ] = None,
    text_column: Annotated[
        str | None,
        typer.Option("--text-column", help="the column holding the texts or image paths (detected when omitted)"),
    ] = None,
    input_format: Annotated[
        str | None,
        typer.Option("--format", help="read --input as lines, csv, tsv, jsonl, json or parquet (default: suffix)"),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="one JSON object per line, with the input row's other columns")
    ] = False,
    batch_size: Annotated[int, typer.Option(min=1, help="texts scored at once")] = 256,
) -> None:
    """Label and score for each text or photo; `unknown` when the model abstains. Results on stdout, notes on
    stderr."""
    from runner.errors import UserInputError
    from runner.tasks.predict_command import predict_command

    if (text is None) == (input_file is None):
        raise UserInputError("give either a TEXT argument or --input FILE (- for stdin)")
    for line in predict_command(model_dir, text, input_file, text_column, input_format, json_out, batch_size):
        typer.echo(line)


@app.command()
def serve(
    model_dir: Annotated[Path, typer.Argument(help="a trained model directory (PROJECT/model)")],
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="port to listen on")] = 8080,
    max_batch: Annotated[int, typer.Option(min=1, help="most texts in one request")] = 1024,
) -> None:
    """Serve the model over HTTP: POST /predict (one text or a batch, as `predict --json`), GET /healthz, /docs."""
    from runner.serving.server import serve_model

    serve_model(model_dir, host, port, max_batch, log=lambda message: typer.echo(message, err=True))


@app.command()
def publish(
    project: DirArg,
    repo_id: Annotated[str, typer.Option(help="model repo, OWNER/NAME")],
    space: Annotated[str | None, typer.Option(help="Space repo for the demo, OWNER/NAME")] = None,
    token: Annotated[str | None, typer.Option(help="Hub token (default: HF_TOKEN)")] = None,
    endpoint: Annotated[str | None, typer.Option(help="Hub URL (default: HF_ENDPOINT)")] = None,
    private: Annotated[bool, typer.Option(help="create private repos")] = False,
) -> None:
    """Upload model, card and Space; running it twice changes nothing the second time."""
    from runner.stages.publish import publish_command
    from runner.tasks.choose import task_of_config

    settings = _settings()
    result = publish_command(
        project,
        repo_id,
        space,
        token or settings.token(),
        endpoint or settings.hf_endpoint,
        private,
        render_app=task_of_config(project).render_app if space else None,
    )
    typer.echo(result.model_dump_json(indent=2))


@app.command(name="upload-results")
def upload_results(
    project: DirArg,
    repo_id: Annotated[str, typer.Option(help="private dataset repo for results, OWNER/NAME (created if missing)")],
    path_prefix: Annotated[str, typer.Option(help="folder in that repo, e.g. runs/42")],
    log: Annotated[Path | None, typer.Option(help="a log file to upload as reports/job.log")] = None,
    token: Annotated[str | None, typer.Option(help="Hub token (default: HF_TOKEN)")] = None,
    endpoint: Annotated[str | None, typer.Option(help="Hub URL (default: HF_ENDPOINT)")] = None,
) -> None:
    """Upload reports/ and model/ (and a job log) to a private Hub dataset repo in one commit."""
    from runner.stages.results_upload import upload_results_command

    settings = _settings()
    result = upload_results_command(
        project, repo_id, path_prefix, log, token or settings.token(), endpoint or settings.hf_endpoint
    )
    typer.echo(result.model_dump_json(indent=2))


@app.command()
def plan(
    objective: Annotated[str, typer.Argument(help="what you want, in words (key=value overrides allowed)")],
    data: Annotated[str | None, typer.Option(help="a dataset file or Hub id; searched on the Hub when omitted")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Turn an objective into a typed plan: dataset, columns, model, metrics, hyperparameters, compute."""
    from runner.planning import plan_command, render_plan_md

    settings = _settings()
    result = plan_command(objective, data, hub=settings.connected_hub(), llm=settings.llm_client())
    typer.echo(result.model_dump_json(indent=2) if json_out else render_plan_md(result))


@app.command()
def schemas() -> None:
    """Print the JSON Schemas of every report (the contract with workflows and the bot)."""
    from runner.schemas import json_schemas

    typer.echo(json.dumps(json_schemas(), indent=2))


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    sys.exit(128 + signum)  # unwinds, so a running train.py subprocess is stopped too


def main() -> None:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        code = app(standalone_mode=False)
    except InternError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        if "--json" in sys.argv[1:]:  # a script reading stdout still gets JSON
            typer.echo(json.dumps({"ok": False, "error": str(exc), "exit_code": exc.exit_code}))
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except BrokenPipeError:  # the reader went away (`intern predict ... | head`): nothing more to say
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors: missing argument, unknown option
        show = getattr(exc, "show", None)
        if callable(show):
            show()
            sys.exit(int(getattr(exc, "exit_code", 2)))
        raise
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
