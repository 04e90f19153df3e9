from django.http import JsonResponse


def not_found(request, exception=None):
    return JsonResponse({"detail": "not found"}, status=404)


def server_error(request):
    return JsonResponse({"detail": "internal server error"}, status=500)
