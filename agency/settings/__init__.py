"""Settings, one module per environment: ``base`` (shared), ``production``, ``dev`` (``make demo``)
and ``test`` (the suite). See .env.example for every variable they read."""
