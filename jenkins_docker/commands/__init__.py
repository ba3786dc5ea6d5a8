"""One module per group of commands: plain functions from parsed options to an exit code."""
