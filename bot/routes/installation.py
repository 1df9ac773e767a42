"""`installation`: record that the App was installed, removed, suspended or resumed (audit only)."""

from __future__ import annotations

from bot.context import Ctx
from bot.events import InstallationEvent


def on_installation(ctx: Ctx, event: InstallationEvent) -> None:
    names = ", ".join(str(repo.get("full_name", "?")) for repo in event.repositories[:20])
    ctx.store.audit(
        "*",
        event.sender.login,
        f"installation {event.installation.id} {event.action}",
        ctx.delivery_id,
        detail=names,
    )


ROUTES = {("installation", action): on_installation for action in ("created", "deleted", "suspend", "unsuspend")}
