"""Experiments: a photo, a painting, two machine stylisations, a person's drawing and grades.

* :mod:`stylelab.experiments.store` — SQLite records and the image files under the data dir.
* :mod:`stylelab.experiments.methods` — the one adapter to the engines (Gatys, fast, grading).
* :mod:`stylelab.experiments.runner` — queues jobs and runs them in worker processes.
* :mod:`stylelab.experiments.worker` — the code that runs inside a worker process.
* :mod:`stylelab.experiments.palette`, :mod:`stylelab.experiments.sheet` — palette and result sheet.

Nothing here opens a database or starts a process at import time.
"""
