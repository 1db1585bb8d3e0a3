"""Court staff pages, mounted at /court/."""

from django.urls import path

from auction import staff_views

app_name = "staff"

urlpatterns = [
    path("", staff_views.dashboard, name="dashboard"),
    path("deadlines/", staff_views.deadlines, name="deadlines"),
    path("cases/new/", staff_views.case_create, name="case_create"),
    path("cases/<int:pk>/", staff_views.case_detail, name="case_detail"),
    path("cases/<int:pk>/timeline/", staff_views.case_timeline, name="case_timeline"),
    path("cases/<int:pk>/parties/", staff_views.party_add, name="party_add"),
    path("cases/<int:pk>/parties/<int:party_pk>/access-code/", staff_views.party_access_issue,
         name="party_access_issue"),
    path("cases/<int:pk>/claims/", staff_views.claim_add, name="claim_add"),
    path("cases/<int:pk>/lots/new/", staff_views.lot_create, name="lot_create"),
    path("lots/<int:pk>/", staff_views.lot_detail, name="lot_detail"),
    path("lots/<int:pk>/edit/", staff_views.lot_edit, name="lot_edit"),
    path("lots/<int:pk>/rounds/new/", staff_views.round_create, name="round_create"),
    path("lots/<int:pk>/<slug:part>/", staff_views.lot_part, name="lot_part"),
    path("priority-holders/<int:pk>/remove/", staff_views.priority_holder_remove, name="priority_holder_remove"),
    path("rounds/<int:pk>/", staff_views.round_detail, name="round_detail"),
    path("rounds/<int:pk>/panel-decision/document/", staff_views.panel_decision_document,
         name="panel_decision_document"),
    path("rounds/<int:pk>/edit/", staff_views.round_edit, name="round_edit"),
    path("rounds/<int:pk>/next/", staff_views.round_next, name="round_next"),
    path("rounds/<int:pk>/<slug:action>/", staff_views.round_action, name="round_action"),
]
