"""Authentication backend: the signed-in reader comes with what every page shows of them."""

from django.contrib.auth import backends, get_user_model
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from comments.models import Notification

# The bell counts no further: past it, it shows "99+". A reader with 20,000 unread notifications made every page
# they opened count all 20,000 (140 ms).
BELL_CAP = 100


class ModelBackend(backends.ModelBackend):
    """Django's backend, loading the reader with their unread notification count (at most BELL_CAP) in the same
    query, so the bell in the header costs no query of its own on any page."""

    def get_user(self, user_id):
        first_unread = Notification.objects.for_reader(OuterRef(OuterRef("pk"))).unread().values("pk")[:BELL_CAP]
        unread = (
            Notification.objects.filter(pk__in=first_unread)
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
