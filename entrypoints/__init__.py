"""Deployables and the composition root.

- ``settings.py``   environment → typed settings (the only reader of ``os.environ``)
- ``container.py``  the dependency-injector container choosing each adapter by configuration
- ``fc_webhook/``, ``fc_worker/``, ``fc_report/``  Function Compute handlers
- ``local/``        the local runner (``python -m entrypoints.local``)
"""
