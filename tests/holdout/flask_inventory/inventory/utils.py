from flask import current_app, request


def load_json(schema):
    """Validate the JSON body against a marshmallow schema (raises ValidationError)."""
    return schema.load(request.get_json(silent=True) or {})


def page_args():
    page = request.args.get("page", 1, type=int)
    per_page = min(
        request.args.get("per_page", current_app.config["PRODUCTS_PER_PAGE"], type=int),
        current_app.config["MAX_PER_PAGE"],
    )
    return max(page, 1), max(per_page, 1)
