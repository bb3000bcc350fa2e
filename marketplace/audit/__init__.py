"""The audit log: every admin action (who, what, when, before → after), written in the action's transaction."""
