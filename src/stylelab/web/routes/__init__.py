"""One APIRouter per resource; ``ROUTERS`` is the order they are included in."""

from __future__ import annotations

from stylelab.web.routes import experiments, gallery, images, jobs, system, uploads

ROUTERS = (system.router, gallery.router, uploads.router, experiments.router, jobs.router, images.router)
