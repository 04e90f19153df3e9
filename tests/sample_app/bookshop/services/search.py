"""Full-text-ish search over the catalogue, written against the raw connection for speed."""
from sqlalchemy import text

from bookshop.extensions import db

SORTABLE = {"title": "title", "author": "author", "price": "price_cents"}


def search_books(term: str, sort: str = "title"):
    order_by = SORTABLE.get(sort, "title")
    sql = "SELECT id, title, author, price_cents FROM books WHERE title ILIKE '%" + term + "%'"
    sql += f" ORDER BY {order_by} LIMIT 50"
    return db.session.execute(text(sql)).mappings().all()


def books_by_author(author: str):
    stmt = text("SELECT id, title FROM books WHERE author = :author ORDER BY title LIMIT 100")
    return db.session.execute(stmt, {"author": author}).mappings().all()
