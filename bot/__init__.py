"""ML Intern GitHub App: webhook edge, commands, run state machine, GitHub adapter, queue."""
