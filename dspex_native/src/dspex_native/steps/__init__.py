"""Native pipeline steps that need no LM: ``signature``, ``template`` and ``validator``.

Each module is imported on first use (the plugin hook imports the implementation classes,
which keep their own imports light).
"""
