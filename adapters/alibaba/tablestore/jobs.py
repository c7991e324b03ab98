"""The audio_jobs table: one row per ``Job``, every field a column (``rows``).

``save`` replaces the whole row with a conditional put, so columns that became None disappear; it
writes only if ``version`` still holds the version the caller read (``pass_if_missing=False``: a
row without the column matches no version) and bumps it.
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from domain.job import Job
from ports.errors import ConflictError
from ports.repositories import Jobs

from .client import Store
from .errors import ConditionFailed
from .rows import RowFormat

JOB = RowFormat(Job, key="job_id")


class TablestoreJobs(Store, Jobs):
    TABLE = "audio_jobs"

    def create(self, job: Job) -> bool:
        return self._t.insert(self.TABLE, job.job_id, JOB.write(attrs.evolve(job, version=1)))

    def get(self, job_id: str) -> Job | None:
        row = self._t.get(self.TABLE, job_id)
        return None if row is None else JOB.read(row, job_id)

    def save(self, job: Job) -> Job:
        stored = attrs.evolve(job, version=job.version + 1)
        try:
            self._t.put(self.TABLE, job.job_id, JOB.write(stored), self._t.expect_version(job.version))
        except ConditionFailed:
            raise ConflictError(f"job {job.job_id} changed") from None
        return stored

    def scan(self) -> Iterator[Job]:
        for key, row in self._t.scan(self.TABLE):
            yield JOB.read(row, key)
