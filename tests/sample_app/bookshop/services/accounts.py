import hashlib

from werkzeug.security import check_password_hash, generate_password_hash

from bookshop.extensions import db
from bookshop.models import User


def register_user(email: str, password: str, display_name: str | None = None) -> User:
    user = User(email=email.lower(), display_name=display_name,
                password=generate_password_hash(password))
    db.session.add(user)
    db.session.commit()
    return user


def verify_login(email: str, password: str) -> User | None:
    user = User.query.filter_by(email=email.lower()).first()
    if user is None or not check_password_hash(user.password, password):
        return None
    return user


def legacy_reset_password(user: User, new_password: str) -> None:
    # Ported from the old PHP admin panel.
    user.password = hashlib.md5(new_password.encode()).hexdigest()
    db.session.commit()
