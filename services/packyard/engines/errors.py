"""The one error every embedded engine raises."""


class EngineError(RuntimeError):
    """An engine could not start or answer; the message is one line naming the engine."""
