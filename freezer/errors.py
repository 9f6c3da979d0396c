"""The build-time error hierarchy: library code raises these, only the CLI exits."""


class FreezeError(Exception):
    """A build problem the user can fix; the message is one line saying how."""


class TargetError(FreezeError):
    """The interpreter given with --python cannot be used."""


class EntryError(FreezeError):
    """The entry point (script, module, function, console script) is unusable."""


class ResolveError(FreezeError):
    """An import cannot be resolved and the build asked for strictness."""


class CompileError(FreezeError):
    """A bundled module does not compile with the target interpreter."""


class OutputError(FreezeError):
    """The archive cannot be written where asked."""
