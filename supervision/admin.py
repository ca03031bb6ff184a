"""Admin for master data: units, users and their roles, letter-number prefixes.

Letters, assignments and the audit trail are read-only here: every change to them goes
through the transition services, never through a form that edits the row.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from supervision.models import (
    Assignment,
    AuditEvent,
    Letter,
    LetterNumberCounter,
    LetterPrefix,
    Membership,
    Unit,
    User,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["unit"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "kind", "peer_group", "parent", "sort_order", "is_active"]
    list_filter = ["kind", "peer_group", "is_active"]
    search_fields = ["name", "short_name"]
    autocomplete_fields = ["parent"]
    list_editable = ["sort_order", "is_active"]
    list_select_related = ["parent"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "full_name", "title", "phone", "is_active", "is_staff"]
    search_fields = ["username", "full_name", "phone"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Work"), {"fields": ("full_name", "title", "phone")}),
    )
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "role", "created_at"]
    list_filter = ["role", "unit__kind"]
    search_fields = ["user__username", "user__full_name", "unit__name"]
    autocomplete_fields = ["user", "unit"]
    list_select_related = ["user", "unit"]


@admin.register(LetterPrefix)
class LetterPrefixAdmin(admin.ModelAdmin):
    list_display = ["prefix", "kind", "office", "issuing_body", "is_active"]
    list_filter = ["kind", "is_active"]
    list_select_related = ["office"]


@admin.register(LetterNumberCounter)
class LetterNumberCounterAdmin(admin.ModelAdmin):
    list_display = ["prefix", "year", "last_number"]
    list_select_related = ["prefix"]

    def has_add_permission(self, request):  # numbers are taken only by issuing a letter
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Letter)
class LetterAdmin(ReadOnlyAdmin):
    list_display = ["number", "title", "kind", "state", "drafter", "signer", "issued_at"]
    list_filter = ["kind", "state"]
    search_fields = ["number", "title"]
    list_select_related = ["drafter", "signer"]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["id", "unit", "letter", "role", "state", "deadline", "claimed_by"]
    list_filter = ["state", "role", "unit__peer_group"]
    search_fields = ["item__description", "unit__name", "letter__number"]
    list_select_related = ["unit", "letter", "claimed_by"]
    raw_id_fields = ["item", "letter", "unit", "claimed_by", "reassigned_from"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "actor", "actor_role", "actor_unit", "from_state", "to_state"]
    list_filter = ["action", "actor_role"]
    list_select_related = ["actor", "actor_unit"]
    raw_id_fields = ["letter", "assignment", "actor", "actor_unit"]
    date_hierarchy = "at"
