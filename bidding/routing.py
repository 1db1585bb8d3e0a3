"""WebSocket routes of the bidding app (mounted by config/asgi.py)."""

from django.urls import path

from bidding.consumers import RoundConsumer

websocket_urlpatterns = [
    path("ws/rounds/<int:round_id>/", RoundConsumer.as_asgi()),
]
