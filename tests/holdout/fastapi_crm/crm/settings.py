import os

DATABASE_URL = os.getenv("CRM_DATABASE_URL", "postgresql+psycopg2://crm@localhost/crm")
MAILCHIMP_URL = os.getenv("MAILCHIMP_URL", "https://us1.api.mailchimp.com/3.0")
MAILCHIMP_KEY = os.environ["MAILCHIMP_KEY"]
PBKDF2_ITERATIONS = 100_000
API_KEY_PEPPER = os.environ["CRM_PEPPER"]
