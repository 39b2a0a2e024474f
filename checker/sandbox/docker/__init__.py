"""The docker backend: one fresh container per worker.

``engine`` talks to the Docker engine (clients, the grader image, owner labels, the sweep of
orphans); ``container`` starts, watches, kills and removes one worker container (its run
options and limits; ``launcher``/``launch_docker`` return the ``Launch`` of ``..launch``);
``channels`` holds the pipes between the grader and a container (the request/response FIFOs,
stdout and stderr from the attach, the container seen as a process).  Imports go one way:
``engine`` <- ``channels`` <- ``container``.
"""
