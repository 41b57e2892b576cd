"""Webhooks: a project's URLs told, with a signed POST, when its jobs finish, its labels
change or a model version is created (see events.py, delivery.py)."""
