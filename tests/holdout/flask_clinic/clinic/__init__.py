import logging

from flask import Flask
from flask_login import LoginManager
from flask_wtf import CSRFProtect

from . import handlers, settings
from .db import Session

login_manager = LoginManager()
csrf = CSRFProtect()


def create_app() -> Flask:
    app = Flask(__name__, template_folder="templates")  # ok-category: error-handling
    app.config.from_object(settings)
    logging.basicConfig(level=logging.INFO)

    login_manager.init_app(app)
    csrf.init_app(app)
    handlers.init_app(app)

    from .views.patients import bp as patients_bp
    from .views.reports import bp as reports_bp
    from .views.staff import bp as staff_bp

    app.register_blueprint(patients_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(reports_bp)

    @app.teardown_appcontext
    def remove_session(_exc=None):
        Session.remove()

    return app
