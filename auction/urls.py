from django.urls import path

from auction import views

urlpatterns = [
    path("", views.home, name="home"),
    path("results/", views.results, name="results"),
    path("lots/<int:pk>/", views.lot_detail, name="lot_detail"),
]
