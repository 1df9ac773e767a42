"""Tasks: what differs per task lives in one folder each, behind the `Task` protocol (runner/tasks/base.py).

`runner.tasks.registry` maps the Hub's task names to their implementation; stages, the bot, workflows and publishing
ask the task and never branch on its name. A new task is a new folder plus one line in the registry.
"""
