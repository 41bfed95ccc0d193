"""With Redis down the public verification page still answers: its rate limit gives way. The
Redis here is one of the test's own, on its own port, really stopped mid-test; the shared one
is left alone."""

from __future__ import annotations

import pytest
import redis
from django.test import override_settings
from django.urls import reverse

from tests.integration.own_redis import own_redis

__all__ = ["own_redis"]  # the fixture


@pytest.mark.django_db
def test_the_verification_page_answers_when_redis_stops(real_services, client, own_redis):
    url = own_redis.url
    cache = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    with override_settings(CACHES=cache):
        page = reverse("certification:verify")
        assert client.get(page, {"number": "QP-AAAAA-BBBBB"}).status_code == 200
        assert redis.Redis.from_url(url).keys("*"), "the lookup was counted in our Redis"
        own_redis.stop()
        response = client.get(page, {"number": "QP-AAAAA-BBBBB"})
        assert response.status_code == 200
        assert "No certificate has the number QP-AAAAA-BBBBB" in response.content.decode()
