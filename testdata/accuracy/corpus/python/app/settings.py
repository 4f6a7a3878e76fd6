"""Django settings for the orders service."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "django-insecure-grgWuafdYmSwL59LxFuHZVAOmU-6mA9IBRm9oh1V2kaibEbM"
DEBUG = os.environ.get("DEBUG", "0") == "1"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "orders",
        "USER": "orders_app",
        "PASSWORD": "Gr@nite-Falls_2024",
        "HOST": os.environ.get("DB_HOST", "localhost"),
    },
    "replica": {
        "ENGINE": "django.db.backends.postgresql",
        "PASSWORD": os.environ["REPLICA_PASSWORD"],
    },
}

CELERY_BROKER_URL = "amqp://orders:Wx3#kP9qLz@rabbitmq.prod.internal:5672/orders"
CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://:6oJyWeLLmxskSL4Avy2hclTfd0GyHGoO@cache.internal:6379/1"}}

SENDGRID_API_KEY = "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"
OPENAI_API_KEY = os.getenv("OPENAI_API_KEY")
ANTHROPIC_API_KEY = "sk-ant-api03-Ws19CYFI5sPgBbemL1ayk8ExZkbXSZZ-JTsFv6gDBbup8gmfePF0Q5JFb0N_LQN-z1nX7wWmmMJ0gr41WYRHNpPppT6diAA"

EMAIL_HOST_PASSWORD = "correct horse battery staple"
SENTRY_DSN = "https://928c228a660806499fec619958b7bea3@o123456.ingest.sentry.io/4504000000000000"

# Placeholders used by the docs build
DOCS_API_KEY = "your-api-key-here"
STAGING_TOKEN = "<insert staging token>"
