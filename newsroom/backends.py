"""Authentication backend: the signed-in reader comes with what every page shows of them."""

from django.contrib.auth import backends, get_user_model
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from comments.models import Notification


class ModelBackend(backends.ModelBackend):
    """Django's backend, loading the reader with their unread notification count in the same query, so the bell
    in the header costs no query of its own on any page."""

    def get_user(self, user_id):
        unread = (
            Notification.objects.for_reader(OuterRef("pk"))
            .unread()
            .order_by()
            .values("recipient")
            .annotate(n=Count("pk"))
            .values("n")
        )
        user = (
            get_user_model()
            ._default_manager.annotate(unread_notifications=Coalesce(Subquery(unread), Value(0)))
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None
