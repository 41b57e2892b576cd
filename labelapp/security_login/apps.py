from django.apps import AppConfig


class SecurityLoginConfig(AppConfig):
    name = "labelapp.security_login"
    label = "security_login"

    def ready(self) -> None:
        from labelapp.security_login import attempts

        attempts.connect_signals()
