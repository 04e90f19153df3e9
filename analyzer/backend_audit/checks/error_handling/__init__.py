"""error_handling"""
