"""FastAPI dependencies, in one place: the settings and the store the app factory put on `app.state`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from bot.settings import Settings
from bot.store import Store


def get_settings(request: Request) -> Settings:
    settings = request.app.state.settings
    assert isinstance(settings, Settings)
    return settings


def get_store(request: Request) -> Store:
    store = request.app.state.store
    assert isinstance(store, Store)
    return store


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
