"""cors_headers"""
