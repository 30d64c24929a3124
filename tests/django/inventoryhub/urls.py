from django.urls import path
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts.views import me

urlpatterns = [
    path("api/accounts/token/", TokenObtainPairView.as_view()),
    path("api/accounts/token/refresh/", TokenRefreshView.as_view()),
    path("api/accounts/me/", me),
]
