"""A Celery worker whose first certificate render stops half-way, until it is killed.

Run as `python -m tests.integration.stalling_worker worker ...` (celery's own arguments). The
first render in any of its pool processes makes the PDF, leaves a mark naming its process in
STALL_DIR, then sleeps inside the render's transaction (the certificate row locked, nothing
stored yet) so that the test can kill that process there. Later renders go straight through.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import django


def main() -> None:
    django.setup()
    from certification import rendering
    from certification.models import Certificate
    from portal.celery import app

    marks = Path(os.environ["STALL_DIR"])
    real = rendering.render_certificate_pdf

    def stalling(certificate: Certificate) -> bytes:
        content = real(certificate)
        attempt = len(list(marks.iterdir())) + 1
        (marks / f"{attempt}-{os.getpid()}").touch()
        if attempt == 1:
            time.sleep(600)  # the test kills this process here
        return content

    rendering.render_certificate_pdf = stalling  # type: ignore[assignment]
    app.worker_main(sys.argv[1:])


if __name__ == "__main__":
    main()
