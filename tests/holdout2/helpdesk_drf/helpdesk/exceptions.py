import logging

from rest_framework.response import Response
from rest_framework.views import exception_handler

log = logging.getLogger("helpdesk")


def api_exception_handler(exc, context):
    response = exception_handler(exc, context)
    if response is None:
        log.exception("unhandled API error in %s", context.get("view"))
        return Response({"detail": "Internal server error."}, status=500)
    return response
