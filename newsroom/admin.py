from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from newsroom.models import ImportedAccount, User


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
