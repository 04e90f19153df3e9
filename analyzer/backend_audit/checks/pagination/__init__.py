"""pagination"""
