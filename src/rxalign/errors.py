"""The one exception type for mistakes a user can fix; the CLI prints it on one line and exits with code 2."""


class UserError(Exception):
    """A bad file, config, path or argument. The message names file, line and field where they apply."""
