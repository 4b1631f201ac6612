"""ASGI entry point for uvicorn/gunicorn: ``mediation_svc.asgi:app``."""

import logging
import threading

from .app import create_app

app = create_app()


def _warm_up_renderer() -> None:
    # The first render in a process prepares the CJK font subsets (about 0.6-0.9 s); do it now, in the
    # background, rather than while a mediator waits for the first preview.
    try:
        from .documents import samples
        from .documents.rendering import render_document

        render_document("mediation_agreement", samples.agreement(), language="zh-CN", document_id="warm-up",
                        verification_code="WARMUP0000000000", base_url="http://127.0.0.1", draft=True)
    except Exception:  # noqa: BLE001 - warming is an optimisation; a real render reports its own errors
        logging.getLogger("mediation_svc.documents").warning("renderer warm-up failed", exc_info=True)


threading.Thread(target=_warm_up_renderer, name="renderer-warm-up", daemon=True).start()
