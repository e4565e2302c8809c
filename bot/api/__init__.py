"""The HTTP edge: one router per channel over the shared service; `create_app(settings)` builds it."""

from bot.api._app import app_from_environment, create_app
from bot.api._security import mint_widget_token, read_widget_token

__all__ = ["app_from_environment", "create_app", "mint_widget_token", "read_widget_token"]
