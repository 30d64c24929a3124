"""A minimal replica of the legacy InventoryHub Django project, for the gateway's tests.

Its models reproduce legacy-schema.sql (`manage.py sqlmigrate` emits the same DDL), and
SimpleJWT runs with the legacy settings: rotation with blacklisting through the
`token_blacklist` app. The database and the secret come from the environment:
OMS_DJANGO_DATABASE_URL (postgres://user@host:port/name) and OMS_DJANGO_SECRET_KEY.
"""

import os
from datetime import timedelta
from urllib.parse import unquote, urlparse

SECRET_KEY = os.environ.get("OMS_DJANGO_SECRET_KEY", "replica-of-the-legacy-project")
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "inventoryhub.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "mptt",
    "accounts",
    "products",
    "wms",
    "oms",
]

MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]


def _database(url):
    parts = urlparse(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }


DATABASES = {
    "default": _database(
        os.environ.get("OMS_DJANGO_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/inventoryhub")
    )
}

PASSWORD_HASHERS = ["inventoryhub.hashers.TestPBKDF2PasswordHasher"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": (
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ),
    "DEFAULT_PERMISSION_CLASSES": ("rest_framework.permissions.IsAuthenticated",),
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "ALGORITHM": "HS256",
}
