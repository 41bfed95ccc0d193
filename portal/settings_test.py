"""Settings for the test suite: the same as the portal's, with faster hashing and no outside mail.

The database, broker and cache still come from the environment, so the same settings serve the
fast suite (SQLite, tasks in-process) and the integration and browser suites (PostgreSQL, Redis,
a real worker). ./test.sh sets the environment for each.
"""

import os
import tempfile
from pathlib import Path

from portal.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The tests speak plain HTTP to their own servers, whatever the shell around them exports.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
# (A test that starts a server or worker of its own may name another, tests/mail_backends.py.)
EMAIL_BACKEND = (
    os.environ.get("TEST_EMAIL_BACKEND") or "django.core.mail.backends.locmem.EmailBackend"
)
# Files a test writes go to a throwaway folder, never into the developer's var/. A Celery worker
# started by the tests is given the same folder through MEDIA_ROOT.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or tempfile.mkdtemp(prefix="portal-test-media-"))
# The credentials' signing key (decision 56), made on first use in a throwaway folder, never
# the developer's var/; exported so that the servers and workers a test starts sign with it too.
CREDENTIAL_KEYS_FILE = Path(
    os.environ.get("CREDENTIAL_KEYS_FILE")
    or Path(tempfile.mkdtemp(prefix="portal-test-keys-")) / "credential-keys.json"
)
os.environ["CREDENTIAL_KEYS_FILE"] = str(CREDENTIAL_KEYS_FILE)
# A logged-in session is renewed at most once a minute (portal.sessions), on whichever request
# comes after that minute: tests that count a page's queries must not depend on the clock. Here
# it is renewed every three minutes (a tenth of the idle time), far longer than a test takes
# from its login to its last request. The session tests set it back.
SESSION_RENEW_SECONDS = 24 * 3600
# A transaction that writes or locks a row before taking its audit chain fails at once on
# PostgreSQL (portal.audit.lock_chain), in the test process and in the servers and workers the
# tests start, which read these settings too. (A test of the races themselves turns it off in
# its server, to see what PostgreSQL alone does.)
AUDIT_CHECK_LOCK_ORDER = env.bool("AUDIT_CHECK_LOCK_ORDER", default=True)  # noqa: F405
API_RATE_LIMIT = "100000/min"  # the tests call the API far faster; tests/api sets it back
API_ANON_RATE_LIMIT = "100000/min"
