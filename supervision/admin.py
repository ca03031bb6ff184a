"""Admin for master data: units, users and their roles, letter-number prefixes.

Letters, assignments and the audit trail are read-only here: every change to them goes
through the transition services, never through a form that edits the row.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from supervision.models import (
    WEIGHT_FIELDS,
    ApiToken,
    Assignment,
    AuditEvent,
    Channel,
    Cycle,
    Delivery,
    DeliveryAttempt,
    Escalation,
    Job,
    Letter,
    LetterNumberCounter,
    LetterPrefix,
    Membership,
    MessagePreference,
    Notice,
    RuleSet,
    StandIn,
    Unit,
    UnitResult,
    User,
)
from supervision.selectors.shares import letter_shares
from supervision.services import DomainError, rule_offices, ruleset_revise, unit_sub_ranking_set
from supervision.services.channel_input import address_shown
from supervision.services.channels import channel_disable, channel_enable
from supervision.services.units import unit_one_person_set


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["unit"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "short_name",
        "kind",
        "peer_group",
        "parent",
        "sort_order",
        "is_active",
        "one_person",
        "ranks_sub_units",
    ]
    list_filter = ["kind", "peer_group", "is_active", "one_person", "ranks_sub_units"]
    search_fields = ["name", "short_name"]
    autocomplete_fields = ["parent"]
    list_editable = ["sort_order", "is_active"]
    list_select_related = ["parent"]
    # The waiver of four eyes is set through the service, which checks the office role and
    # audits it: shown here, changed only by the actions below.
    # So is ranking its sub-units (its own 双周排队), set by the office through services.ranking.
    readonly_fields = ["one_person", "ranks_sub_units"]
    actions = ["mark_one_person", "clear_one_person", "mark_ranks_sub_units", "clear_ranks_sub_units"]

    def _one_person(self, request, queryset, value: bool) -> None:
        try:
            for unit in queryset:
                unit_one_person_set(actor=request.user, unit=unit, one_person=value)
        except DomainError as exc:
            self.message_user(request, str(exc), messages.ERROR)

    @admin.action(description=_("Mark as one-person units (four eyes waived)"))
    def mark_one_person(self, request, queryset) -> None:
        self._one_person(request, queryset, True)

    @admin.action(description=_("Clear the one-person mark"))
    def clear_one_person(self, request, queryset) -> None:
        self._one_person(request, queryset, False)

    def _sub_ranking(self, request, queryset, value: bool) -> None:
        try:
            for unit in queryset:
                unit_sub_ranking_set(actor=request.user, unit=unit, ranks=value)
        except DomainError as exc:
            self.message_user(request, str(exc), messages.ERROR)

    @admin.action(description=_("Rank their sub-units every cycle"))
    def mark_ranks_sub_units(self, request, queryset) -> None:
        self._sub_ranking(request, queryset, True)

    @admin.action(description=_("Stop ranking their sub-units"))
    def clear_ranks_sub_units(self, request, queryset) -> None:
        self._sub_ranking(request, queryset, False)


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
    readonly_fields = ["shared_with"]

    @admin.display(description=_("shared with"))
    def shared_with(self, obj: Letter) -> str:
        # Shown, never edited here: a share goes through the letter page (services/grants.py),
        # which checks the office role, audits it and tells the reader.
        shares = letter_shares(obj)
        names = [f"{u.display_name} ({u.username})" for u in shares.users] + [u.name for u in shares.units]
        return "、".join(names) or "—"


@admin.register(StandIn)
class StandInAdmin(ReadOnlyAdmin):
    """Shown, never edited here: a stand-in is named and ended on the stand-in page
    (services/stand_ins.py), which checks the unit, audits it and tells both people."""

    list_display = ["deputy", "principal", "unit", "starts_on", "ends_on", "ended_at", "created_by"]
    list_filter = ["unit__kind"]
    search_fields = ["deputy__username", "deputy__full_name", "principal__username", "principal__full_name"]
    list_select_related = ["deputy", "principal", "unit", "created_by"]
    date_hierarchy = "starts_on"


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["id", "unit", "letter", "role", "state", "deadline", "claimed_by"]
    list_filter = ["state", "role", "unit__peer_group"]
    search_fields = ["item__description", "unit__name", "letter__number"]
    list_select_related = ["unit", "letter", "claimed_by"]
    raw_id_fields = ["item", "letter", "unit", "claimed_by", "reassigned_from"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "actor", "on_behalf_of", "actor_role", "actor_unit", "from_state", "to_state"]
    list_filter = ["action", "actor_role"]
    list_select_related = ["actor", "on_behalf_of", "actor_unit"]
    raw_id_fields = ["letter", "assignment", "actor", "on_behalf_of", "actor_unit"]
    date_hierarchy = "at"


# --- cycles and ranking -----------------------------------------------------------------------------


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    """The office edits the weights here. Saving never changes a version: it saves a new one and
    makes it current (services.rule_sets.ruleset_revise); closed cycles keep the version they used."""

    list_display = ["office", "version", "name", "is_current", "created_at", "created_by"]
    list_filter = ["is_current", "office"]
    list_select_related = ["office", "created_by"]
    readonly_fields = ["version", "is_current", "replaces", "created_at", "created_by"]
    fieldsets = (
        (
            None,
            {"fields": ("office", "name", "notes", "version", "is_current", "replaces", "created_at", "created_by")},
        ),
        (
            _("Weights"),
            {
                "fields": WEIGHT_FIELDS + ("min_held",),
                "description": _(
                    "Score = base + claim points × share claimed in time + report points × share of reports made "
                    "+ on-time points × share not overdue + closed points × share written off − penalties per "
                    "failed verification, refused return and extension granted (+ points per upheld return). "
                    "Each term is rounded to 0.01 and the score is their sum. Saving creates a new version."
                ),
            },
        ),
    )

    def has_delete_permission(self, request, obj=None):  # a version may be the one a cycle used
        return False

    def get_queryset(self, request):
        # Each office edits its own rules: a person sees the versions of the offices they may edit.
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(office__in=rule_offices(request.user))

    def get_readonly_fields(self, request, obj=None):
        # A version stays its office's: editing saves the office's next version.
        return [*self.readonly_fields, "office"] if obj is not None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "office":
            # A person with roles in two offices picks which office's rules to revise.
            kwargs["queryset"] = Unit.objects.filter(pk__in=[o.pk for o in rule_offices(request.user)])
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        try:
            new = ruleset_revise(
                actor=request.user,
                office=obj.office_id,
                weights={name: form.cleaned_data[name] for name in WEIGHT_FIELDS},
                name=form.cleaned_data.get("name", ""),
                notes=form.cleaned_data.get("notes", ""),
                min_held=form.cleaned_data.get("min_held"),
            )
        except DomainError as exc:
            raise PermissionDenied(str(exc)) from exc
        # The admin goes on with (and logs) the new version; the edited row stays as it was.
        obj.pk, obj.version, obj.is_current = new.pk, new.version, True
        self.message_user(
            request,
            gettext("Saved as version %(version)d; closed cycles keep the version they were ranked with.")
            % {"version": new.version},
            messages.INFO,
        )


@admin.register(Cycle)
class CycleAdmin(ReadOnlyAdmin):
    list_display = ["office", "number", "starts_on", "ends_on", "cutoff_at", "state", "closed_at", "rule_set"]
    list_filter = ["state", "office"]
    list_select_related = ["office", "rule_set"]


@admin.register(UnitResult)
class UnitResultAdmin(ReadOnlyAdmin):
    list_display = [
        "cycle",
        "ranked_by",
        "peer_group",
        "rank",
        "unit",
        "score",
        "held",
        "overdue",
        "reports_made",
        "reports_due",
    ]
    list_filter = ["peer_group", "cycle"]
    search_fields = ["unit__name", "ranked_by__name"]
    list_select_related = ["cycle", "ranked_by", "unit"]
    raw_id_fields = ["cycle", "ranked_by", "unit", "tied_with"]


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ["cycle", "ranked_by", "unit", "peer_group", "level", "streak"]
    list_filter = ["level", "peer_group"]
    list_select_related = ["cycle", "ranked_by", "unit"]


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["title", "cycle", "office", "state", "drafter", "signer", "published_at"]
    list_filter = ["state"]
    list_select_related = ["cycle", "office", "drafter", "signer"]


# --- messages that leave the app, background jobs, API tokens ---------------------------------------


@admin.register(Channel)
class ChannelAdmin(ReadOnlyAdmin):
    """Shown, never edited here: channels are configured on the message-channel pages
    (services/channels.py), which check who may, split and encrypt keys and audit the change.
    The encrypted key and secret are left out: the page says whether they are set."""

    list_display = ["name", "kind", "unit", "address", "enabled", "quiet_hours", "last_ok_at", "last_error"]
    list_filter = ["kind", "enabled", "unit__kind"]
    search_fields = ["name", "unit__name", "url"]
    list_select_related = ["unit", "created_by"]
    fields = [
        "kind",
        "unit",
        "name",
        "address",
        "key_set",
        "secret_set",
        "events",
        "quiet_hours",
        "enabled",
        "created_by",
        "created_at",
        "last_ok_at",
        "last_error",
    ]
    readonly_fields = fields
    actions = ["turn_off", "turn_on"]

    @admin.display(description=_("address"), ordering="url")
    def address(self, obj: Channel) -> str:
        # Without its query, which may hold the receiving system's token (as on the channel pages).
        return address_shown(obj.url)

    @admin.display(description=_("key"), boolean=True)
    def key_set(self, obj: Channel) -> bool:
        return bool(obj.key_encrypted)

    @admin.display(description=_("signing secret"), boolean=True)
    def secret_set(self, obj: Channel) -> bool:
        return bool(obj.secret_encrypted)

    def _switch(self, request, queryset, service) -> None:
        try:
            for channel in queryset:
                service(actor=request.user, channel=channel)
        except DomainError as exc:
            self.message_user(request, str(exc), messages.ERROR)

    @admin.action(description=_("Turn off (send nothing to them)"))
    def turn_off(self, request, queryset) -> None:
        self._switch(request, queryset, channel_disable)

    @admin.action(description=_("Turn on"))
    def turn_on(self, request, queryset) -> None:
        self._switch(request, queryset, channel_enable)


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ["started_at", "ok", "status_code", "duration_ms", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """What the outbox sent or tries to send; retried from the office's monitor page."""

    list_display = ["created_at", "kind", "channel", "user", "status", "attempts", "due_at", "last_error"]
    list_filter = ["status", "kind"]
    list_select_related = ["channel", "user", "event"]
    raw_id_fields = ["event", "channel", "user", "digest"]
    date_hierarchy = "created_at"
    inlines = [DeliveryAttemptInline]


@admin.register(MessagePreference)
class MessagePreferenceAdmin(ReadOnlyAdmin):
    """Shown, never edited here: each person sets their own on the message settings page."""

    list_display = ["user", "email", "events", "digest", "quiet_start", "quiet_end", "quiet_rest_days", "updated_at"]
    list_filter = ["email", "digest"]
    search_fields = ["user__username", "user__full_name"]
    list_select_related = ["user"]


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "title", "kind", "requested_by", "state", "attempts", "finished_at"]
    list_filter = ["state", "kind"]
    search_fields = ["title", "requested_by__username"]
    list_select_related = ["requested_by"]
    # The parameters and result may hold ids and row errors of an import; the file is private and
    # served only through the jobs' own page, which checks who asks.
    exclude = ["params", "result", "file"]
    date_hierarchy = "created_at"


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Shown without the hash: its owner creates and revokes tokens; the prefix tells them apart."""

    list_display = ["name", "user", "prefix", "scope", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["scope"]
    search_fields = ["name", "prefix", "user__username"]
    list_select_related = ["user"]
    exclude = ["key_hash"]
