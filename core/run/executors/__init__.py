"""Built-in executors, registered as plugins (``DEFAULT_PLUGINS``) through the ``make_executor`` hook."""
