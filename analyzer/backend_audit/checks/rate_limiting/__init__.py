"""rate_limiting"""
