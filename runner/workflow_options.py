"""What varies between the workflows the runner generates (`runner/render/workflow.py` renders them).

`WorkflowOptions` is shared ground: the bot builds it from its settings (`bot/settings.workflow_options`), the
runner from `INTERN_ACTIONS_*` (`runner/settings.py`), and both pass it to the renderer. Every field is validated
so that nothing rendered into the YAML can break its structure or smuggle in an expression. Third-party actions
are pinned by full commit SHA (`PINNED_ACTIONS`).
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SHA_RE: Final = re.compile(r"^[0-9a-f]{40}$")
_REPO_RE: Final = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_RELATIVE_DIR_RE: Final = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_./-]*$")
_FLAVOUR_RE: Final = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_RUNNER_LABEL_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_SECRET_RE: Final = re.compile(r"^[A-Z_][A-Z0-9_]{0,99}$")
_VERSION_PIN_RE: Final = re.compile(r"^[A-Za-z0-9_.-]+(\[[A-Za-z0-9_,.-]+\])?==[A-Za-z0-9_.+!-]+$")
_GIT_PIN_RE: Final = re.compile(
    r"^[A-Za-z0-9_.-]+(\[[A-Za-z0-9_,.-]+\])? @ git\+https://github\.com/"
    r"(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+?)(\.git)?@(?P<sha>[0-9a-f]{40})$"
)


class PinnedAction(NamedTuple):
    """A third-party action at a full commit SHA; `version` is the release that SHA is tagged with."""

    repository: str
    sha: str
    version: str

    @property
    def uses(self) -> str:
        return f"{self.repository}@{self.sha}"


# SHAs checked against public workflows and runner logs that resolve them ("Download action repository
# 'actions/setup-python@v5' (SHA:a26af69b...)"); bump them together with the version comment.
PINNED_ACTIONS: Final[dict[str, PinnedAction]] = {
    "checkout": PinnedAction("actions/checkout", "08c6903cd8c0fde910a37f88322edcfb5dd907a8", "v5.0.0"),
    "setup-python": PinnedAction("actions/setup-python", "a26af69be951a213d495a4c3e4e4022e16d87065", "v5.6.0"),
    "upload-artifact": PinnedAction("actions/upload-artifact", "ea165f8d65b6e75b540449e92b4886f43607fa02", "v4.6.2"),
    "download-artifact": PinnedAction(
        "actions/download-artifact", "d3f86a106a0bac45b974a628896c90dbdf5c8093", "v4.3.0"
    ),
}

OWN_ACTIONS: Final = ("setup", "smoke", "train", "publish")

# The commit of `actions_repository` whose actions/ match this package version: the release process sets it.
# Until a release exists it is this all-zero placeholder, which github.com cannot resolve (the job fails at
# "Set up job"); deployments pass `actions_ref` (the bot's deployed commit: the package is then installed from
# the same repository and commit) or pin `intern_package` to a git commit. The rendered workflow says so in its
# header while the placeholder is in use, and `intern scaffold` says so on stderr.
PLACEHOLDER_ACTIONS_REF: Final = "0" * 40
DEFAULT_ACTIONS_REF: Final = PLACEHOLDER_ACTIONS_REF


RELEASED_PACKAGE: Final = "ml-intern-bot[train]==0.1.0"
PACKAGE_NAME: Final = "ml-intern-bot[train]"


def git_package(repository: str, ref: str) -> str:
    """The runner installed from `repository` at commit `ref`, as pip reads it."""
    return f"{PACKAGE_NAME} @ git+https://github.com/{repository}@{ref}"


class WorkflowOptions(BaseModel):
    """Everything that varies between generated workflows. Every field is validated so that nothing
    rendered into the YAML can break its structure or smuggle in an expression."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    workflow_name: str = Field(default="ML Intern", pattern=r"^[A-Za-z0-9 ._()-]{1,60}$")
    python_version: str = Field(default="3.11", pattern=r"^3\.[0-9]{1,2}$")
    intern_package: str = Field(
        default=RELEASED_PACKAGE,
        description="pip requirement for the runner: `name[extras]==X.Y.Z` or "
        "`name[extras] @ git+https://github.com/OWNER/REPO@<40-hex commit>`; when omitted and `actions_ref` is "
        "given, the same repository and commit as the actions (`git_package`)",
    )
    torch_version: str = Field(default="2.13.0", pattern=r"^[0-9]+\.[0-9]+\.[0-9]+$")
    project_dir: str = Field(default=".", description="the project directory, relative to the repository root")
    default_flavour: str = "cpu-basic"
    flavour_runners: dict[str, str] = Field(
        default_factory=lambda: {"cpu-basic": "ubuntu-latest"},
        description="allowed hardware flavours -> the `runs-on` label of the runner that trains on it",
    )
    runs_on: str = Field(default="ubuntu-latest", description="runner for the smoke, validate and publish jobs")
    branch_prefix: str = Field(default="intern/", pattern=r"^[A-Za-z0-9._-]+/$")
    smoke_timeout_minutes: int = Field(default=30, ge=5, le=360)
    validate_timeout_minutes: int = Field(default=5, ge=1, le=30)
    train_timeout_minutes: int = Field(default=360, ge=10, le=4320)
    publish_timeout_minutes: int = Field(default=30, ge=5, le=360)
    artifact_retention_days: int = Field(default=30, ge=1, le=90)
    model_repo_id: str | None = Field(default=None, description="Hub model repo; None: no publish job")
    space_id: str | None = None
    hf_token_secret: str = Field(default="HF_TOKEN", description="name of the secret holding the Hub token")
    publish_environment: str | None = Field(
        default="huggingface",
        pattern=r"^[A-Za-z0-9 _.-]{1,100}$",
        description="deployment environment of the publish job (protection rules, environment secrets)",
    )
    actions_repository: str = Field(
        default="ml-intern/ml-intern-bot", description="the repository holding actions/setup, smoke, ..."
    )
    actions_ref: str | None = Field(
        default=None,
        description="40-hex commit of actions_repository; None: the commit of a git-pinned intern_package, "
        "else DEFAULT_ACTIONS_REF",
    )
    actions_version: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9._+-]{1,40}$",
        description="release name written as the pin's comment; None: from intern_package",
    )
    actions_local_dir: str | None = Field(
        default=None,
        description="use actions vendored in this repository at <dir>/<name> (GitHub's `$/` self-repository "
        "syntax: the workflow's own commit, not the checked-out head) instead of actions_repository",
    )

    @model_validator(mode="before")
    @classmethod
    def _one_source(cls, data: object) -> object:
        """The package and the actions come from one repository and commit: an omitted package follows the
        actions' `actions_repository@actions_ref`, an omitted repository follows a git-pinned package."""
        if not isinstance(data, dict):
            return data
        values = dict(data)
        package, ref = values.get("intern_package"), values.get("actions_ref")
        match = _GIT_PIN_RE.match(package) if isinstance(package, str) else None
        if match and values.get("actions_repository") is None:
            values["actions_repository"] = match.group("repo")
        if package is None and isinstance(ref, str) and SHA_RE.match(ref) and ref != PLACEHOLDER_ACTIONS_REF:
            repository = values.get("actions_repository") or "ml-intern/ml-intern-bot"
            if isinstance(repository, str) and _REPO_RE.match(repository):
                values["intern_package"] = git_package(repository, ref)
        return values

    @field_validator("intern_package")
    @classmethod
    def _package_pinned(cls, value: str) -> str:
        if not (_VERSION_PIN_RE.match(value) or _GIT_PIN_RE.match(value)):
            raise ValueError(
                "intern_package must be pinned: `ml-intern-bot[train]==0.1.0` or "
                "`ml-intern-bot[train] @ git+https://github.com/OWNER/REPO@<40-hex commit>`"
            )
        return value

    @field_validator("project_dir", "actions_local_dir")
    @classmethod
    def _relative_dir(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().rstrip("/") or "."
        parts = value.split("/")
        if not _RELATIVE_DIR_RE.match(value) or ".." in parts or "" in parts:
            raise ValueError(
                f"{value!r} must be a relative path inside the repository "
                "(letters, digits, '.', '_', '-', '/'; no '..')"
            )
        return value

    @field_validator("flavour_runners")
    @classmethod
    def _flavours(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("flavour_runners needs at least one flavour")
        for flavour, label in value.items():
            if not _FLAVOUR_RE.match(flavour):
                raise ValueError(f"flavour {flavour!r}: lowercase letters, digits and '-' only")
            if not _RUNNER_LABEL_RE.match(label):
                raise ValueError(f"runner label {label!r} for flavour {flavour!r} is not a plain label")
        return value

    @field_validator("runs_on")
    @classmethod
    def _runner_label(cls, value: str) -> str:
        if not _RUNNER_LABEL_RE.match(value):
            raise ValueError(f"runs_on {value!r} is not a plain runner label")
        return value

    @field_validator("model_repo_id", "space_id", "actions_repository")
    @classmethod
    def _repo_id(cls, value: str | None) -> str | None:
        if value is not None and not _REPO_RE.match(value):
            raise ValueError(f"{value!r} must look like OWNER/NAME")
        return value

    @field_validator("hf_token_secret")
    @classmethod
    def _secret_name(cls, value: str) -> str:
        if not _SECRET_RE.match(value) or value.startswith("GITHUB_"):
            raise ValueError(f"{value!r} is not a valid secret name (A-Z, 0-9, _; not GITHUB_*)")
        return value

    @field_validator("actions_ref")
    @classmethod
    def _full_sha(cls, value: str | None) -> str | None:
        if value is not None and not SHA_RE.match(value):
            raise ValueError("actions_ref must be a full 40-hex commit SHA (tags and branches can move)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.default_flavour not in self.flavour_runners:
            raise ValueError(f"default_flavour {self.default_flavour!r} is not one of {sorted(self.flavour_runners)}")
        if self.space_id is not None and self.model_repo_id is None:
            raise ValueError("space_id needs model_repo_id: the Space loads the published model")
        match = _GIT_PIN_RE.match(self.intern_package)
        if match and self.actions_local_dir is None:
            same_repo = match.group("repo").lower() == self.actions_repository.lower()
            if not same_repo or (self.actions_ref is not None and self.actions_ref != match.group("sha")):
                raise ValueError(
                    f"intern_package installs {match.group('repo')}@{match.group('sha')[:12]} but the actions come "
                    f"from {self.actions_repository}@{self.resolved_actions_ref[:12]}: they must be the same "
                    "repository and commit (omit intern_package to derive it from the actions)"
                )
        return self

    @property
    def resolved_actions_ref(self) -> str:
        if self.actions_ref is not None:
            return self.actions_ref
        match = _GIT_PIN_RE.match(self.intern_package)
        return match.group("sha") if match else DEFAULT_ACTIONS_REF

    @property
    def uses_placeholder_ref(self) -> bool:
        return self.actions_local_dir is None and self.resolved_actions_ref == PLACEHOLDER_ACTIONS_REF

    @property
    def resolved_actions_version(self) -> str:
        if self.actions_version is not None:
            return self.actions_version
        if "==" in self.intern_package:
            return "v" + self.intern_package.split("==", 1)[1]
        return "git-" + self.resolved_actions_ref[:12]

    @property
    def allowed_flavours(self) -> list[str]:
        return list(self.flavour_runners)

    def own_action(self, name: str) -> str:
        """The `uses:` value of one of this project's composite actions (without the version comment)."""
        if name not in OWN_ACTIONS:
            raise ValueError(f"unknown action {name!r}; expected one of {OWN_ACTIONS}")
        if self.actions_local_dir is not None:
            return f"$/{self.actions_local_dir}/{name}"
        return f"{self.actions_repository}/actions/{name}@{self.resolved_actions_ref}"
