import logging
import os

from flask import Flask, g, jsonify, redirect, request, session, url_for

from . import settings
from .db import close_db, get_db, query, where_clause
from .security import hash_password, new_session_token, verify_password

logging.basicConfig(level=logging.INFO)
log = logging.getLogger("portal")

app = Flask(__name__)  # expect-category: error-handling
app.config.from_object(settings)
app.teardown_appcontext(close_db)


@app.before_request
def load_user():
    g.user = None
    if "user_id" in session:
        g.user = query("SELECT * FROM users WHERE id = ?", (session["user_id"],), one=True)


@app.route("/login", methods=["POST"])
def login():
    username = request.form["username"]
    password = request.form["password"]
    user = query("SELECT * FROM users WHERE username = ?", (username,), one=True)  # expect-category: validation
    if user is None or not verify_password(password, user["password_hash"]):
        log.warning("bad login for %s / %s", username, password)  # expect-category: password-storage
        return jsonify({"error": "invalid credentials"}), 401
    session["user_id"] = user["id"]
    session["token"] = new_session_token()
    return redirect(url_for("dashboard"))


@app.route("/signup", methods=["POST"])
def signup():
    form = request.form
    db = get_db()
    db.execute(  # expect-category: validation
        "INSERT INTO users (username, email, password_hash, department) VALUES (?, ?, ?, ?)",
        (form["username"], form["email"], hash_password(form["password"]), form.get("department")),
    )
    db.commit()
    return jsonify({"status": "created"}), 201


@app.route("/dashboard")
def dashboard():
    rows = query(  # ok-category: pagination, sql-injection
        "SELECT id, title, status FROM tickets WHERE owner_id = ? ORDER BY id DESC LIMIT 20",
        (g.user["id"],),
    )
    return jsonify([dict(r) for r in rows])


@app.route("/employees")
def employees():
    filters = {k: v for k, v in request.args.items() if k in ("department", "location")}
    sql = "SELECT id, name, department, location FROM employees WHERE " + where_clause(filters)
    rows = get_db().execute(sql).fetchall()  # expect-category: sql-injection, pagination, validation
    return jsonify([dict(r) for r in rows])


@app.route("/employees/search")
def search_employees():
    name = request.args.get("name", "")
    cur = get_db().cursor()
    cur.execute("SELECT id, name FROM employees WHERE name LIKE '%" + name + "%' LIMIT 50")  # expect-category: sql-injection, validation  # ok-category: pagination
    return jsonify([dict(r) for r in cur.fetchall()])


@app.route("/announcements")
def announcements():
    rows = get_db().execute("SELECT id, title, body FROM announcements ORDER BY posted_at DESC").fetchall()  # expect-category: pagination
    return jsonify([dict(r) for r in rows])


@app.route("/tickets", methods=["POST"])
def create_ticket():
    data = request.get_json()
    db = get_db()
    db.execute(  # expect-category: validation
        "INSERT INTO tickets (owner_id, title, body, priority) VALUES (?, ?, ?, ?)",
        (g.user["id"], data["title"], data["body"], data.get("priority", "normal")),
    )
    db.commit()
    return jsonify({"status": "queued"}), 201


@app.route("/tickets/<int:ticket_id>", methods=["GET"])
def get_ticket(ticket_id):
    try:
        row = query("SELECT * FROM tickets WHERE id = ?", (ticket_id,), one=True)
        return jsonify(dict(row))
    except Exception as e:
        return jsonify({"error": str(e)}), 500  # expect-category: error-handling


@app.route("/profile/password", methods=["POST"])
def set_password():
    new_password = request.form.get("new_password", "")
    if len(new_password) < 10:
        return jsonify({"error": "password too short"}), 400
    get_db().execute(  # ok-category: validation
        "UPDATE users SET password_hash = ? WHERE id = ?",
        (hash_password(new_password), g.user["id"]),
    )
    get_db().commit()
    return jsonify({"status": "ok"})


@app.route("/admin/bootstrap", methods=["POST"])
def bootstrap_admin():
    db = get_db()
    db.execute(  # expect-category: password-storage
        "INSERT OR IGNORE INTO users (username, email, password) VALUES (?, ?, ?)",
        ("admin", settings.ADMIN_EMAIL, settings.DEFAULT_ADMIN_PASSWORD),
    )
    db.commit()
    return jsonify({"status": "ok"})


@app.route("/health")
def health():
    try:
        get_db().execute("SELECT 1")
    except Exception:  # expect-category: error-handling
        pass
    return jsonify({"status": "ok"})


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", "8000")), debug=True)  # expect-category: error-handling
