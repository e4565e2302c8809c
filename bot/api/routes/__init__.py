"""One router per channel; `bot.api._app` includes them all."""

__all__: list[str] = []
