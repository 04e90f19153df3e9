"""file_upload"""
