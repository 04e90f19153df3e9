from rest_framework.pagination import CursorPagination, LimitOffsetPagination


class CommentCursorPagination(CursorPagination):
    page_size = 50
    ordering = "-created_at"


class TicketPagination(LimitOffsetPagination):
    default_limit = 25
    max_limit = 100
