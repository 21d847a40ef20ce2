from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from comments.admin import LogAdmin
from newsroom import services, webhooks
from newsroom.models import WEBHOOK_EVENTS, ApiToken, ImportedAccount, User, WebhookDelivery, WebhookEndpoint


class UserChangeAdminForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("handle", "display_name", "email")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    list_display = ["handle", "display_name", "email", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["handle", "display_name", "email"]
    ordering = ["handle"]
    fieldsets = [
        (None, {"fields": ["handle", "password"]}),
        # An admin may confirm an address they know to be right (a staff account made here) by giving the date.
        (_("Profile"), {"fields": ["display_name", "email", "email_confirmed_at", "pending_email"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["handle", "display_name", "email", "password1", "password2"]}),
    ]


@admin.register(ImportedAccount)
class ImportedAccountAdmin(admin.ModelAdmin):
    """Accounts made for imported commenters, waiting to be claimed by e-mail."""

    list_display = ["username", "source", "user", "imported_at", "claimed_at"]
    list_filter = ["source", ("claimed_at", admin.EmptyFieldListFilter)]
    search_fields = ["username", "user__handle", "user__email"]
    raw_id_fields = ["user"]
    list_select_related = ["user"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Readers' API tokens, to find and revoke one (a leaked secret); made only by their reader, who alone sees it."""

    list_display = ["name", "prefix", "user", "scopes", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "name", "user__handle"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    readonly_fields = ["user", "name", "scopes", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        revoked = sum(services.token_revoke(token=token) for token in queryset)
        self.message_user(
            request, ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", revoked) % {"count": revoked}
        )


class WebhookEndpointForm(forms.ModelForm):
    """An endpoint as staff register it: its URL checked now (webhooks.check_url: http(s), a host that resolves to
    public addresses only) and again at every delivery."""

    # Checked by webhooks.check_url alone, whose messages name what is wrong (a scheme, a private address).
    url = forms.CharField(label=_("URL"), max_length=500, help_text=WebhookEndpoint._meta.get_field("url").help_text)
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=WEBHOOK_EVENTS, widget=forms.CheckboxSelectMultiple, required=True
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events", "is_active"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            webhooks.check_url(url)
        except webhooks.Refused as refusal:
            raise forms.ValidationError(str(refusal), code="refused") from None
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Staff's webhook endpoints: the signing secret shown on each, a paused one announced at the top of the list
    and its page, "send test event" and "resume" for the selected."""

    form = WebhookEndpointForm
    list_display = ["url", "description", "event_list", "is_active", "paused_at", "consecutive_failures"]
    list_filter = ["is_active", ("paused_at", admin.EmptyFieldListFilter)]
    search_fields = ["url", "description"]
    readonly_fields = ["secret", "paused_at", "paused_reason", "consecutive_failures", "created_at", "deliveries"]
    actions = ["send_test_event", "resume"]

    @admin.display(description=_("Deliveries"))
    def deliveries(self, obj):
        if obj.pk is None:
            return ""
        url = reverse("admin:newsroom_webhookdelivery_changelist") + f"?endpoint__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("Every delivery to this endpoint"))

    @admin.display(description=_("Events"))
    def event_list(self, obj):
        return ", ".join(obj.events)

    def _warn_paused(self, request, queryset):
        for endpoint in queryset.exclude(paused_at=None):
            messages.warning(
                request,
                _("%(endpoint)s is paused: %(reason)s Resume it once it answers again.")
                % {"endpoint": endpoint, "reason": endpoint.paused_reason},
            )

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            self._warn_paused(request, WebhookEndpoint.objects.all())
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            self._warn_paused(request, WebhookEndpoint.objects.filter(pk=object_id))
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description=_("Send a test event to the selected endpoints"), permissions=["change"])
    def send_test_event(self, request, queryset):
        sent = webhooks.emit_test(queryset)
        messages.success(
            request,
            ngettext(
                "A test event is on its way to %(count)d endpoint; see its deliveries.",
                "A test event is on its way to %(count)d endpoints; see their deliveries.",
                len(sent),
            )
            % {"count": len(sent)},
        )

    @admin.action(description=_("Resume the selected endpoints"), permissions=["change"])
    def resume(self, request, queryset):
        paused = list(queryset.exclude(paused_at=None))
        for endpoint in paused:
            webhooks.resume(endpoint)
        messages.success(
            request,
            ngettext(
                "Resumed %(count)d endpoint; its waiting deliveries go now.",
                "Resumed %(count)d endpoints; their waiting deliveries go now.",
                len(paused),
            )
            % {"count": len(paused)},
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(LogAdmin):
    """Every delivery with its attempts and the endpoint's answer: read here, written only by newsroom.webhooks."""

    list_display = ["pk", "event", "endpoint", "status", "attempts", "response_status", "created_at", "finished_at"]
    list_filter = ["status", "event", "endpoint"]
    list_select_related = ["endpoint"]
    search_fields = ["=event_id"]
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]
