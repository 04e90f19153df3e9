from flask import Flask

app = Flask(__name__)
app.config["SECRET_KEY"] = "dev"  # backend-audit: ignore[BA701] -- local demo only

if __name__ == "__main__":
    app.run(debug=True)
