from django.urls import path

from . import views, views_actions

app_name = "klienti"
urlpatterns = [
    path("", views.home, name="home"),
    path("prehled/", views.dashboard, name="dashboard"),
    path("klienti/", views.case_list, name="list"),
    path("klienti/novy/", views_actions.case_create, name="create"),
    path("klienti/<int:pk>/", views.case_detail, name="detail"),
    path("klienti/<int:pk>/upravit/", views_actions.case_edit, name="edit"),
    path("klienti/<int:pk>/zamitnout/", views_actions.case_reject, name="reject"),
    path("klienti/<int:pk>/predat/", views_actions.case_reassign, name="reassign"),
    path("klienti/<int:pk>/smazat/", views_actions.case_delete, name="delete"),
    path("klienti/<int:pk>/terminy.ics", views_actions.case_ics, name="ics"),
    path(
        "klienti/<int:pk>/kroky/<int:number>/splnit/",
        views_actions.complete_step,
        name="complete_step",
    ),
    path(
        "klienti/<int:pk>/kroky/<int:number>/poznamka/", views_actions.step_note, name="step_note"
    ),
    path(
        "klienti/<int:pk>/kroky/<int:number>/termin/",
        views_actions.step_deadline,
        name="step_deadline",
    ),
    path("portal/", views.portal, name="portal"),
]
