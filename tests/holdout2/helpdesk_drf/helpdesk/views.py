from django.http import JsonResponse


def server_error(request):
    return JsonResponse({"detail": "Internal server error."}, status=500)


def not_found(request, exception):
    return JsonResponse({"detail": "Not found."}, status=404)
