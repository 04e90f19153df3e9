"""sql_injection"""
