from django.urls import path

from auction import views

urlpatterns = [
    path("", views.home, name="home"),
    path("results/", views.results, name="results"),
    path("lots/<int:pk>/", views.lot_detail, name="lot_detail"),
    path("case-file/", views.case_lookup, name="case_lookup"),
    path("case-file/mine/", views.party_case_file, name="party_case_file"),
    path("case-file/leave/", views.case_file_leave, name="case_file_leave"),
]
