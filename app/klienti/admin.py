"""The Django admin for all models. Lists show references and plain fields
only; decrypted personal data appears on a single case's change page, and
search goes through the blind indexes."""

from django.contrib import admin

from . import audit
from .blind_index import search_indexes
from .models import AuditAction, AuditEntry, CaseStep, EncryptionCanary, Klient, NotifikaceLog


class CaseStepInline(admin.TabularInline):
    model = CaseStep
    extra = 0
    can_delete = False
    max_num = 15
    fields = ("number", "deadline", "completed_at", "completed_by", "note")
    readonly_fields = ("number", "completed_at", "completed_by")

    def has_add_permission(self, request, obj=None):
        return False  # a case always has exactly its 15 steps


@admin.register(Klient)
class KlientAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "adviser",
        "status",
        "current_step",
        "current_deadline",
        "bank",
        "opened_on",
    )
    list_filter = ("status", "bank", "current_step")
    list_select_related = ("adviser",)
    search_fields = ("id",)  # real matching happens in get_search_results
    search_help_text = "Exact name, birth number or e-mail."
    readonly_fields = (
        "ltv",
        "current_step",
        "current_deadline",
        "created_at",
        "updated_at",
        "closed_at",
        "erased_at",
    )
    exclude = ("name_index", "email_index", "birth_number_index")
    raw_id_fields = ("adviser", "portal_user")
    inlines = (CaseStepInline,)
    list_per_page = 50

    def get_queryset(self, request):
        # The change list needs none of the encrypted columns.
        qs = super().get_queryset(request)
        if (
            request.resolver_match
            and request.resolver_match.url_name == "klienti_klient_changelist"
        ):
            qs = qs.only(
                "id", "adviser", "status", "current_step", "current_deadline", "bank", "opened_on"
            )
        return qs

    def get_search_results(self, request, queryset, search_term):
        if not search_term:
            return queryset, False
        hashes = search_indexes(search_term)
        matches = (
            queryset.filter(name_index__in=hashes)
            | queryset.filter(email_index__in=hashes)
            | queryset.filter(birth_number_index__in=hashes)
        )
        if search_term.isdigit():
            matches = matches | queryset.filter(pk=int(search_term))
        return matches, False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        action = AuditAction.UPDATED if change else AuditAction.CREATED
        audit.record(request.user, obj.pk, action, form.changed_data)

    def delete_model(self, request, obj):
        audit.record(request.user, obj.pk, AuditAction.DELETED)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for pk in queryset.values_list("pk", flat=True):
            audit.record(request.user, pk, AuditAction.DELETED)
        super().delete_queryset(request, queryset)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what happened: visible to administrators, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor_username", "klient_id", "action", "step_number")
    list_filter = ("action",)
    search_fields = ("=klient_id", "actor_username")


@admin.register(NotifikaceLog)
class NotifikaceLogAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "notification_type", "recipient", "klient_id", "success")
    list_filter = ("notification_type", "success")
    list_select_related = ("recipient",)
    search_fields = ("=klient_id",)


@admin.register(EncryptionCanary)
class EncryptionCanaryAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at")
    exclude = ("value",)


@admin.register(CaseStep)
class CaseStepAdmin(admin.ModelAdmin):
    list_display = ("klient", "number", "deadline", "completed_at")
    list_filter = ("number",)
    list_select_related = ("klient",)
    search_fields = ("=klient__id",)
    readonly_fields = ("klient", "number", "completed_at", "completed_by")

    def has_add_permission(self, request):
        return False
