from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "labelapp.accounts"
    label = "accounts"
