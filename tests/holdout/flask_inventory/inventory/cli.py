import click
from flask.cli import with_appcontext

from .extensions import db
from .models import User


@click.command("create-admin")
@click.option("--email", required=True)
@click.option("--password", default="Warehouse!2023", show_default=False)  # expect-category: password-storage
@with_appcontext
def create_admin(email: str, password: str) -> None:
    user = User(email=email, is_admin=True)
    user.set_password(password)  # ok-category: password-storage
    db.session.add(user)
    db.session.commit()
    click.echo(f"created admin {email}")


@click.command("export-skus")
@with_appcontext
def export_skus() -> None:
    """Offline export for the ERP nightly job (not an HTTP route)."""
    from .models import Product

    for product in Product.query.all():  # ok-category: pagination
        click.echo(f"{product.sku},{product.quantity}")
