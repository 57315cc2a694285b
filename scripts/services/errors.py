class ScriptServiceError(Exception):
    """A business rule refused the action. The message is meant for the user."""

    def __init__(self, message, problems=None):
        super().__init__(str(message))
        self.message = str(message)
        self.problems = list(problems or [])


class VersionNotEditable(ScriptServiceError):
    """The version is published (or retired): it never changes again; edit a new draft instead."""


class PublishRefused(ScriptServiceError):
    """The draft has problems (`problems`: flow.Problem list) that must be fixed first."""


class Gone(ScriptServiceError):
    """The script, version or step was removed meanwhile: the page was stale, or it was a second
    click on the same button. Nothing was changed."""


class ImportRefused(ScriptServiceError):
    """The JSON file is not a script this product can import (`problems`: messages)."""
