from bookshop import create_app

app = create_app()
