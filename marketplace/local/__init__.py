"""``marketplace run``: the whole system on one machine, on the embedded default (ARCHITECTURE.md §6).

One command a newcomer can start, and stop with Ctrl-C. Its jobs are kept apart so each can be read
(and tested) on its own:

- ``run``         the command itself: prepares, starts, supervises and stops, in that order;
- ``supervisor``  the children (gunicorn, relay, workers): started, watched, restarted, stopped;
- ``environment`` ``VAR_DIR``, the children's environment and the persistent secret key;
- ``demo``        the demo catalogue and the logins the banner prints;
- ``replay``      re-queueing the outbox, because the embedded broker starts empty.
"""
