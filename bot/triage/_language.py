"""Language identification lives in `bot.language`, shared with the reply-quality gate."""

from bot.language import DEFAULT_LANGUAGE, detect_language, language_scores

__all__ = ["DEFAULT_LANGUAGE", "detect_language", "language_scores"]
