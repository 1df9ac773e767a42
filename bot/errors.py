"""Errors raised by the bot.

Hierarchy::

    BotError                        base; never raised directly
    ├── ConfigurationError          settings missing or invalid: `intern-bot serve` refuses to start
    ├── WebhookRejected             the edge refuses a delivery; carries the HTTP status
    │   ├── MalformedPayloadError   400: not JSON, or not the shape of the event it claims to be
    │   ├── SignatureError          401: missing or wrong X-Hub-Signature-256
    │   └── PayloadTooLargeError    413: body over the configured limit
    ├── CommandError                a user mistake in a command: becomes a helpful reply, never a crash
    │   ├── NotAllowedError         the sender lacks write/admin permission
    │   └── BudgetExceededError     the projected cost or time is over a cap
    ├── IllegalTransitionError      a run state change the state machine forbids (a bug or a stale event)
    └── ComputeError                a compute backend failed to start or finish a job
        └── ComputeRefusedError     the backend refused to run it (HTTP 402, no credits, quota)

Every message says what happened and what to do about it.
"""

from __future__ import annotations


class BotError(Exception):
    """Base of every error the bot raises on purpose."""


class ConfigurationError(BotError):
    """A setting is missing or unusable; the message names the environment variable."""


class WebhookRejected(BotError):
    """The webhook edge refuses a delivery."""

    status_code = 400


class MalformedPayloadError(WebhookRejected):
    status_code = 400


class SignatureError(WebhookRejected):
    status_code = 401


class PayloadTooLargeError(WebhookRejected):
    status_code = 413


class CommandError(BotError):
    """Something the user typed cannot be done; the message is posted back to them."""


class NotAllowedError(CommandError):
    """The sender may not run this command."""


class BudgetExceededError(CommandError):
    """The run would cost more (money or hours) than the repository or the bot allows."""


class IllegalTransitionError(BotError):
    """A run cannot move from its current state to the requested one."""

    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"a run in state {current!r} cannot move to {target!r}")
        self.current = current
        self.target = target


class ComputeError(BotError):
    """A compute backend failed."""


class ComputeRefusedError(ComputeError):
    """The backend refused the job (HTTP 402, no credits, quota): fall back to CPU."""
