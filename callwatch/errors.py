"""The library's own exceptions. cli.py turns them into messages in one place."""


class CallwatchError(Exception):
    """Base class: something the user can act on, with a message meant for them."""


class ConfigError(CallwatchError):
    """The configuration file is missing, unreadable or invalid."""

    def __init__(self, path, key, problem):
        self.path, self.key, self.problem = path, key, problem
        where = f"{path}" + (f": {key}" if key else "")
        super().__init__(f"{where}: {problem}")


class UnreadableFile(CallwatchError):
    """A whole input file cannot be imported (nothing of it is stored)."""

    def __init__(self, path, reason, tried=()):
        self.path, self.reason, self.tried = path, reason, tuple(tried)
        msg = f"{path}: {reason}"
        if self.tried:
            msg += f" (formats tried: {', '.join(self.tried)})"
        super().__init__(msg)


class StoreError(CallwatchError):
    """The call store cannot be opened or is newer than this program."""


class NotACallLog(UnreadableFile):
    """A file that comes with an export but holds no calls (a voicemail recording, a text
    message page, a picture): skipped, not a failure."""


class UnknownFormat(UnreadableFile):
    """No importer recognises the file's content. Inside an archive such a file is skipped (a
    Takeout zip holds other products' files too); given alone, it is a failure."""
