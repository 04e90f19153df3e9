"""password_storage"""
