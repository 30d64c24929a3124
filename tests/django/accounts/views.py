from rest_framework.decorators import api_view
from rest_framework.response import Response


@api_view(["GET"])
def me(request):
    return Response({"id": request.user.id, "username": request.user.username})
