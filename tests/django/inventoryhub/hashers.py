from django.contrib.auth.hashers import PBKDF2PasswordHasher


class TestPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Django's `pbkdf2_sha256`, at the 1,000 rounds the gateway's tests hash with, so that a
    login neither takes a second nor rewrites the hash."""

    iterations = 1000
