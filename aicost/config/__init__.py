"""Configuration: settings (AICOST_ environment, .env, saved keys), the secrets file and the dashboard password.

The lowest floor above aicost.errors and aicost.clock: it imports nothing else of aicost."""
