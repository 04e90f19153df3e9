import logging

from flask import jsonify, render_template

log = logging.getLogger(__name__)


def page_not_found(error):
    return render_template("404.html"), 404


def server_error(error):
    log.error("server error: %s", error)
    return jsonify({"error": "Something went wrong on our side."}), 500


def init_app(app):
    app.register_error_handler(404, page_not_found)
    app.register_error_handler(500, server_error)
