"""What every ``ews-propose`` subcommand shares."""

EXIT_USAGE = 2
