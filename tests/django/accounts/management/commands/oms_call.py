"""`manage.py oms_call METHOD PATH [JSON] [--token ACCESS]`: one request to this application
through Django's test client, printed as one JSON line {"status": ..., "body": ...}, so that
the gateway's tests can drive the legacy application without serving it."""

import json

from django.core.management.base import BaseCommand
from django.test import Client


class Command(BaseCommand):
    help = "Send one request through the test client and print its status and JSON body."

    def add_arguments(self, parser):
        parser.add_argument("method")
        parser.add_argument("path")
        parser.add_argument("body", nargs="?", default=None)
        parser.add_argument("--token", default=None)

    def handle(self, *args, **options):
        client = Client(raise_request_exception=False)
        headers = {}
        if options["token"]:
            headers["Authorization"] = f"Bearer {options['token']}"
        call = getattr(client, options["method"].lower())
        if options["body"] is None:
            response = call(options["path"], headers=headers)
        else:
            response = call(
                options["path"],
                data=options["body"],
                content_type="application/json",
                headers=headers,
            )
        try:
            body = json.loads(response.content or b"null")
        except ValueError:
            body = response.content.decode(errors="replace")
        self.stdout.write(json.dumps({"status": response.status_code, "body": body}))
