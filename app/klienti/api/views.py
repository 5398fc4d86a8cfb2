"""/api/klienti/: the cases, their steps and GDPR actions for scripts and the
browser. Every object comes through klienti.access, so a case the user may
not see answers 404, exactly as in the web UI."""

from django.db.models import Q
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .. import access, blind_index, gdpr, services
from ..models import ACTIVE_STATUSES
from .pagination import CasePagination
from .permissions import IsManager
from .serializers import (
    CaseFilterSerializer,
    CaseStepSerializer,
    CompleteStepSerializer,
    KlientListSerializer,
    KlientSerializer,
    RejectSerializer,
)


def _changed_fields(instance, validated_data) -> list[str]:
    return [name for name, value in validated_data.items() if getattr(instance, name) != value]


@extend_schema_view(
    list=extend_schema(
        parameters=[CaseFilterSerializer],
        summary="List cases",
        description="One row per case with its name only; retrieve a case for every field.",
    ),
    retrieve=extend_schema(summary="One case with its personal data"),
    create=extend_schema(summary="Open a new case"),
    update=extend_schema(summary="Replace a case's editable fields"),
    partial_update=extend_schema(summary="Change some of a case's fields"),
)
class KlientViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = KlientSerializer
    pagination_class = CasePagination
    # Any segment reaches the view, so a non-numeric id gets the JSON 404 too.
    lookup_value_regex = r"[^/]+"

    def initial(self, request, *args, **kwargs):
        # DRF checks permissions before throttles, so anonymous callers would
        # never be throttled; here the rate limit comes first.
        self.format_kwarg = self.get_format_suffix(**kwargs)
        request.accepted_renderer, request.accepted_media_type = self.perform_content_negotiation(
            request
        )
        request.version, request.versioning_scheme = self.determine_version(
            request, *args, **kwargs
        )
        self.perform_authentication(request)
        self.check_throttles(request)
        self.check_permissions(request)

    def get_queryset(self):
        user = self.request.user
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            queryset = access.cases_visible_to(user)
        else:
            queryset = access.cases_editable_by(user)
        if self.action == "list":
            # Only the list row's columns: the other 13 encrypted fields are
            # neither read nor decrypted.
            queryset = self._filter(queryset).only(*KlientListSerializer.columns())
        return queryset

    def get_serializer_class(self):
        return KlientListSerializer if self.action == "list" else KlientSerializer

    def _filter(self, queryset):
        params = CaseFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data
        if term := query.get("search"):
            indexes = blind_index.search_indexes(term)
            queryset = queryset.filter(
                Q(name_index__in=indexes)
                | Q(email_index__in=indexes)
                | Q(birth_number_index__in=indexes)
            )
        for name in ("status", "bank", "current_step"):
            if name in query:
                queryset = queryset.filter(**{name: query[name]})
        if "adviser" in query:
            queryset = queryset.filter(adviser_id=query["adviser"])
        overdue = query.get("overdue")
        if overdue is not None:
            late = Q(status__in=ACTIVE_STATUSES, current_deadline__lt=timezone.localdate())
            queryset = queryset.filter(late) if overdue else queryset.exclude(late)
        if ordering := query.get("ordering"):
            queryset = queryset.order_by(ordering, "-id")
        return queryset

    def perform_create(self, serializer):
        serializer.instance = services.create_case(
            self.request.user, serializer.Meta.model(**serializer.validated_data)
        )

    def perform_update(self, serializer):
        klient = serializer.instance
        data = dict(serializer.validated_data)
        new_adviser = data.pop("adviser", None)
        changed = _changed_fields(klient, data)
        for name, value in data.items():
            setattr(klient, name, value)
        services.update_case(self.request.user, klient, changed)
        if new_adviser is not None and new_adviser.pk != klient.adviser_id:
            services.reassign_case(self.request.user, klient, new_adviser)

    @extend_schema(responses=CaseStepSerializer(many=True), summary="The 15 steps of a case")
    @action(detail=True, methods=["get"], pagination_class=None)
    def steps(self, request, pk=None):
        klient = self.get_object()
        steps = klient.steps.select_related("completed_by").order_by("number")
        return Response(CaseStepSerializer(steps, many=True).data)

    @extend_schema(
        request=CompleteStepSerializer,
        responses={200: CaseStepSerializer},
        summary="Complete the case's next open step",
    )
    @action(detail=True, methods=["post"], url_path="steps/complete-next")
    def complete_next(self, request, pk=None):
        klient = self.get_object()
        payload = CompleteStepSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if klient.current_step is None:
            return _conflict("The case has no open step.")
        step = services.complete_step(
            request.user, klient, klient.current_step, payload.validated_data.get("note")
        )
        return Response(CaseStepSerializer(step).data)

    @extend_schema(request=RejectSerializer, responses={200: KlientSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        klient = self.get_object()
        payload = RejectSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        klient = services.reject_case(request.user, klient, payload.validated_data["reason"])
        return Response(self.get_serializer(klient).data)

    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY, description="ZIP with the case's data as JSON"
            )
        },
        summary="GDPR export of one case (audited)",
    )
    @action(detail=True, methods=["get"], url_path="gdpr-export")
    def gdpr_export(self, request, pk=None):
        klient = self.get_object()
        filename, content = gdpr.export_case(request.user, klient)
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    @extend_schema(request=None, responses={204: None}, summary="GDPR erasure (managers)")
    @action(detail=True, methods=["post"], url_path="gdpr-erase", permission_classes=[IsManager])
    def gdpr_erase(self, request, pk=None):
        klient = self.get_object()
        gdpr.erase_case(request.user, klient)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _conflict(message):
    body = {"type": "conflict", "errors": [{"field": None, "code": "conflict", "message": message}]}
    return Response(body, status=status.HTTP_409_CONFLICT)
