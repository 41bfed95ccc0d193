"""Say whether the PostgreSQL and Redis named in DATABASE_URL and REDIS_URL answer.

Used by test.sh before the integration and browser suites; exits 1 naming what is unreachable.
"""

import os
import sys

import environ
import psycopg2
import redis


def postgres_problem(url: str) -> str | None:
    config = environ.Env.db_url_config(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        return f"DATABASE_URL is not PostgreSQL: {url}"
    try:
        # Connect to the server's maintenance database: the tests create their own.
        psycopg2.connect(
            dbname="postgres",
            user=config["USER"] or None,
            password=config["PASSWORD"] or None,
            host=config["HOST"] or None,
            port=config["PORT"] or None,
            connect_timeout=5,
        ).close()
    except psycopg2.Error as error:
        return f"PostgreSQL at {url} does not answer: {str(error).strip()}"
    return None


def redis_problem(url: str) -> str | None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=5).ping()
    except redis.RedisError as error:
        return f"Redis at {url} does not answer: {error}"
    return None


def main() -> int:
    problems = [
        postgres_problem(os.environ.get("DATABASE_URL", "")),
        redis_problem(os.environ.get("REDIS_URL", "")),
    ]
    found = [p for p in problems if p]
    for problem in found:
        print(problem, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
