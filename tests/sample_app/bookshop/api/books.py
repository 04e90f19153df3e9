from flask import Blueprint, jsonify, request

from bookshop.extensions import db
from bookshop.models import Book
from bookshop.services.search import search_books

books_bp = Blueprint("books", __name__)


@books_bp.get("/")
def list_books():
    books = Book.query.order_by(Book.title).all()
    return jsonify([b.to_dict() for b in books])


@books_bp.get("/page")
def list_books_paged():
    page = request.args.get("page", 1, type=int)
    per_page = min(request.args.get("per_page", 20, type=int), 100)
    result = Book.query.order_by(Book.title).paginate(page=page, per_page=per_page)
    return jsonify({"items": [b.to_dict() for b in result.items], "total": result.total})


@books_bp.get("/search")
def search():
    term = request.args.get("q", "")
    return jsonify([dict(row) for row in search_books(term, request.args.get("sort", "title"))])


@books_bp.get("/<int:book_id>")
def get_book(book_id: int):
    book = db.get_or_404(Book, book_id)
    return jsonify(book.to_dict())


@books_bp.post("/")
def create_book():
    payload = request.get_json()
    book = Book(**payload)
    db.session.add(book)
    db.session.commit()
    return jsonify(book.to_dict()), 201
