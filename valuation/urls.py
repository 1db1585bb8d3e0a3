"""Valuation pages for court staff, mounted at /court/valuation/ (namespace "valuation")."""

from django.urls import path

from valuation import views

app_name = "valuation"
urlpatterns = [
    path("", views.home, name="home"),
    path("lots/<int:pk>/", views.lot_page, name="lot"),
    path("lotteries/<int:pk>/", views.lottery, name="lottery"),
    path("reports/<int:pk>/document/", views.report_document, name="report_document"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<slug:action>/", views.action, name="action"),
]
