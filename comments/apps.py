from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "comments"
    verbose_name = "Discussion"

    def ready(self):
        from comments import rules  # noqa: F401  (its receivers drop the cached rules when one changes)
